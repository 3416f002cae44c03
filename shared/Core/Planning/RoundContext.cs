namespace FlMicroservices.Core.Planning;

/// <summary>What the selector knows about a round when it plans it.</summary>
/// <param name="Round">The round number, from 1.</param>
/// <param name="HealthyClients">The clients the participants were sampled from (SCAFFOLD's N).</param>
/// <param name="SampledClients">The participants taken.</param>
/// <param name="ExpectedClients">DP-FedAvg's m, the expected number of clients per round (fixed at the task's first round); null when unknown.</param>
public sealed record RoundContext(int Round, int HealthyClients, int SampledClients, double? ExpectedClients = null);
