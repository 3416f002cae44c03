namespace FlMicroservices.Core.Async;

/// <summary>Every update counts fully, however stale (FedBuff without staleness weighting).</summary>
public sealed class ConstantStaleness : IStalenessWeighting
{
    public string Name => "constant";

    public double Weight(int staleness)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(staleness);
        return 1;
    }
}
