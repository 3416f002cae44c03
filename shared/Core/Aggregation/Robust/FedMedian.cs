namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// Coordinate-wise median of the client deltas (Yin et al. 2018, "Byzantine-Robust Distributed Learning:
/// Towards Optimal Statistical Rates"): each parameter moves by the median of what the clients proposed for it.
/// </summary>
/// <remarks>
/// Unweighted: every client counts once whatever its example count (a weighted median would let a client inflate
/// its claimed count to move the result). For an even number of values the median is the mean of the two middle
/// ones. Each slice uses the clients that delivered it.
/// </remarks>
public sealed class FedMedian : IAggregationStrategy
{
    public string Name => "median";

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) => new Round(Name, parameterCount, sliceElements);

    private sealed class Round(string name, int parameterCount, int sliceElements) : BufferedRound(name, parameterCount, sliceElements)
    {
        protected override void WriteDelta(Span<float> delta) => CoordinateWise.Reduce(Matrix, null, delta, new Median());
    }

    private readonly struct Median : IColumnReducer
    {
        public float Reduce(ReadOnlySpan<float> sorted) => CoordinateWise.MedianOfSorted(sorted);
    }
}
