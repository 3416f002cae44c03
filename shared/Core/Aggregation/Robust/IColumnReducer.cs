namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>A coordinate-wise robust statistic: reduces one coordinate's values, sorted ascending, to one value.</summary>
/// <remarks>Implemented by structs so that <see cref="CoordinateWise.Reduce{TReducer}"/> calls it without boxing or virtual dispatch.</remarks>
public interface IColumnReducer
{
    /// <summary>The statistic of <paramref name="sorted"/>, which holds at least one value, in ascending order.</summary>
    float Reduce(ReadOnlySpan<float> sorted);
}
