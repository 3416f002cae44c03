namespace FlMicroservices.Core.Async;

/// <summary>How much an update trained on a model <c>s</c> versions old counts in asynchronous aggregation: a weight in (0, 1].</summary>
public interface IStalenessWeighting
{
    /// <summary>The name <see cref="StalenessWeightings.Create"/> parses back into this weighting.</summary>
    string Name { get; }

    /// <summary>The weight of an update whose base model is <paramref name="staleness"/> versions behind (0 = fresh).</summary>
    double Weight(int staleness);
}
