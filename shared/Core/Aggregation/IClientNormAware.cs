namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// A round aggregator that wants each client's whole-update L2 norm before (or while) that client's slices arrive,
/// for example <see cref="NormBounding"/>'s round. The aggregation service calls it from the client's manifest or a
/// first pass over the update.
/// </summary>
public interface IClientNormAware
{
    /// <summary>Tells the round the L2 norm of <paramref name="clientId"/>'s whole update (finite, at least 0).</summary>
    void SetClientNorm(string clientId, double norm);
}
