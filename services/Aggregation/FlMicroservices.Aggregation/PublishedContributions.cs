using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Aggregation;

/// <summary>The contributions a RoundAggregated carries: under differential privacy, norms and losses are withheld (0).</summary>
public static class PublishedContributions
{
    // A client's exact update norm and training loss are data-dependent values outside the DP mechanism.
    public static Contribution[] Of(RoundStarted started, IReadOnlyList<Contribution> contributors) =>
        started.Privacy.Enabled
            ? contributors.Select(c => c with { UpdateNorm = 0, TrainLoss = 0 }).ToArray()
            : contributors.ToArray();
}
