using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;

namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): on the server it is FedAvg; the
/// algorithm lives on the clients, which add the proximal term (mu / 2) * ||w - w_global||^2 to their local loss.
/// </summary>
/// <remarks>
/// The server aggregates exactly like <see cref="FedAvg"/> (bit for bit). <see cref="Mu"/> goes to the clients in the round
/// plan (<see cref="Configure"/>: <see cref="RoundSettings.ProximalMu"/>, unless the task's Training.ProximalMu is set).
/// The default 0.01 is one of the values the paper's experiments tune over ({0.001, 0.01, 0.1, 0.5, 1}); it is a
/// starting point, not a recommendation from the paper. Mu = 0 is plain FedAvg.
/// </remarks>
public sealed class FedProx : IAggregationStrategy, IRoundConfigurator
{
    public const double DefaultMu = 0.01;

    /// <param name="mu">Proximal coefficient for the clients; finite and at least 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mu"/> is negative, NaN or infinite.</exception>
    public FedProx(double mu = DefaultMu) => Mu = StrategyArgument.NonNegative(mu, nameof(mu));

    public string Name => "fedprox";

    /// <summary>The proximal coefficient clients must train with.</summary>
    public double Mu { get; }

    /// <summary>The clients train with <see cref="Mu"/>, unless the task's training settings already give a proximal term.</summary>
    public RoundSettings Configure(RoundSettings settings, RoundContext round)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.ProximalMu > 0 ? settings : settings with { ProximalMu = Mu };
    }

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements) =>
        new MeanDeltaRound("FedProx", parameterCount, sliceElements, FedAvg.Step);
}
