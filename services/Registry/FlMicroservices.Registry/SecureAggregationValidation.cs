using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Registry;

/// <summary>The secure-aggregation settings of a task (<see cref="PrivacyConfig.SecureAggregation"/> and its companions).</summary>
public static class SecureAggregationValidation
{
    /// <summary>
    /// Strategies whose round is a server step on the mean delta: with secure aggregation the service only learns the mean of
    /// the clipped updates, so robust strategies (which need every update), norm checks and SCAFFOLD cannot run.
    /// </summary>
    public static readonly string[] Strategies = ["fedavg", "fedavgm", "fedprox", "fedadagrad", "fedadam", "fedyogi"];

    /// <summary>Smallest number of participants: with two, the sum reveals each input to the other.</summary>
    public const int MinParticipants = 3;

    public static void Validate(TaskSpec spec, PrivacyConfig privacy, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(privacy);
        ArgumentNullException.ThrowIfNull(problems);
        var mode = privacy.SecureAggregation;
        if (!Enum.IsDefined(mode))
        {
            problems.Add($"Privacy.SecureAggregation {mode} is unknown (None, SecAgg, SecAggPlus)");
            return;
        }
        if (mode == SecureAggregationMode.None)
        {
            if (privacy.SecureAggregationClip != 0 || privacy.SecureAggregationThreshold is not null || privacy.SecureAggregationDegree is not null)
                problems.Add("Privacy.SecureAggregationClip, SecureAggregationThreshold and SecureAggregationDegree need Privacy.SecureAggregation (SecAgg or SecAggPlus)");
            return;
        }
        if (!(privacy.SecureAggregationClip > 0) || !double.IsFinite(privacy.SecureAggregationClip))
            problems.Add($"Privacy.SecureAggregationClip {privacy.SecureAggregationClip} must be a finite number greater than 0 (every coordinate is clipped to [-c, c])");
        if (privacy.SecureAggregationThreshold is { } t && t < 2)
            problems.Add($"Privacy.SecureAggregationThreshold {t} must be at least 2 (and at most the holders of each secret, checked when a round starts)");
        if (privacy.SecureAggregationDegree is { } k)
        {
            if (mode != SecureAggregationMode.SecAggPlus)
                problems.Add("Privacy.SecureAggregationDegree applies to SecAggPlus only (SecAgg masks every pair of participants)");
            else if (k < 2)
                problems.Add($"Privacy.SecureAggregationDegree {k} must be at least 2");
        }
        if (spec.MinClientsPerRound < MinParticipants)
            problems.Add($"MinClientsPerRound {spec.MinClientsPerRound} must be at least {MinParticipants} with secure aggregation (with fewer, the sum reveals the inputs)");
        if (spec.Strategy is not null && !Strategies.Contains(spec.Strategy))
            problems.Add($"Strategy '{spec.Strategy}' cannot run with secure aggregation, which yields only the mean of the clipped updates (use {string.Join(", ", Strategies)})");
        foreach (var key in Core.Planning.RoundPlanner.NormParameters(spec.StrategyParameters))
            problems.Add($"StrategyParameters '{key}' cannot be combined with secure aggregation: the service never sees an update's norm (clients clip to Privacy.SecureAggregationClip)");
        if (privacy.Enabled && privacy.Mechanism == PrivacyMechanism.Central)
            problems.Add("Privacy.SecureAggregation cannot be combined with central differential privacy, which clips and noises each update at the server; use Privacy.Mechanism Local (DP-SGD on the nodes)");
    }
}
