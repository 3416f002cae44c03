namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): on the server it is FedAvg; the
/// algorithm lives on the clients, which add the proximal term (mu / 2) * ||w - w_global||^2 to their local loss.
/// </summary>
/// <remarks>
/// The server aggregates exactly like <see cref="FedAvg"/> (bit for bit). <see cref="Mu"/> is carried here so that the
/// platform can ship it to the clients with the round (the trainer's <c>ProximalMu</c>); the strategy itself never uses it.
/// The default 0.01 is one of the values the paper's experiments tune over ({0.001, 0.01, 0.1, 0.5, 1}); it is a
/// starting point, not a recommendation from the paper. Mu = 0 is plain FedAvg.
/// </remarks>
public sealed class FedProx : IAggregationStrategy
{
    public const double DefaultMu = 0.01;

    /// <param name="mu">Proximal coefficient for the clients; finite and at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mu"/> is negative, NaN or infinite.</exception>
    public FedProx(double mu = DefaultMu) => Mu = StrategyArgument.NonNegative(mu, nameof(mu));

    public string Name => "fedprox";

    /// <summary>The proximal coefficient clients must train with.</summary>
    public double Mu { get; }

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) =>
        new MeanDeltaRound("FedProx", parameterCount, sliceElements, FedAvg.Step);
}
