using FlMicroservices.Contracts;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Registry;

/// <summary>Checks a task request before the platform accepts it; each problem names the setting.</summary>
public static class TaskSpecValidator
{
    public static readonly string[] KnownModels = ["logreg", "mlp", "cnn"];

    /// <param name="taskId">The requested task id.</param>
    /// <param name="spec">The requested task.</param>
    /// <param name="limits">The registry's caps (defaults when null); they also refuse a sample shape the model cannot take.</param>
    public static IReadOnlyList<string> Validate(string taskId, TaskSpec? spec, TaskLimits? limits = null)
    {
        var problems = new List<string>();
        if (!Identifiers.IsValid(taskId)) problems.Add($"TaskId '{taskId}' is not valid: {Identifiers.Rule}");
        if (spec is null)
        {
            problems.Add("Spec is missing");
            return problems;
        }
        if (!KnownModels.Contains(spec.ModelName)) problems.Add($"ModelName '{spec.ModelName}' is unknown (known: {string.Join(", ", KnownModels)})");
        if (spec.SampleShape is null || spec.SampleShape.Length == 0 || spec.SampleShape.Any(d => d <= 0))
            problems.Add("SampleShape must list positive dimensions");
        if (spec.ClassCount < 2) problems.Add($"ClassCount {spec.ClassCount} must be at least 2");
        if (spec.Rounds < 1) problems.Add($"Rounds {spec.Rounds} must be at least 1");
        if (!(spec.ClientFraction > 0 && spec.ClientFraction <= 1)) problems.Add($"ClientFraction {spec.ClientFraction} must be in (0, 1]");
        if (spec.MinClientsPerRound < 1) problems.Add($"MinClientsPerRound {spec.MinClientsPerRound} must be at least 1");
        if (!(spec.Quorum > 0 && spec.Quorum <= 1)) problems.Add($"Quorum {spec.Quorum} must be in (0, 1]");
        if (spec.RoundTimeout <= TimeSpan.Zero) problems.Add($"RoundTimeout {spec.RoundTimeout} must be positive");
        var planProblems = Core.Planning.RoundPlanner.Problems(spec);
        var strategyValid = planProblems.Count == 0;
        problems.AddRange(planProblems);
        if (Core.Compression.CompressionRules.Problem(spec) is { } compression) problems.Add(compression);
        if (!SigningAlgorithms.IsKnown(spec.Signing))
            problems.Add($"Signing '{spec.Signing}' is unknown (known: {SigningAlgorithms.EcdsaP256}, {SigningAlgorithms.MlDsa65}, {SigningAlgorithms.None})");
        if (!Enum.IsDefined(spec.Sampling)) problems.Add($"Sampling {spec.Sampling} is unknown (Fixed, Poisson)");
        ValidateSelection(spec, problems);
        problems.AddRange(Infrastructure.Models.TaskRollback.PolicyOf(spec).Problems());
        if (spec.SliceElements < 1 || spec.SliceElements > UpdateSliceCodec.MaxElements)
            problems.Add($"SliceElements {spec.SliceElements} must be in [1, {UpdateSliceCodec.MaxElements}] (256 KiB per slice)");
        var training = spec.Training;
        if (training is null) problems.Add("Training is missing");
        else
        {
            if (training.LocalEpochs < 1) problems.Add($"Training.LocalEpochs {training.LocalEpochs} must be at least 1");
            if (training.BatchSize < 1) problems.Add($"Training.BatchSize {training.BatchSize} must be at least 1");
            if (!(training.LearningRate > 0) || !double.IsFinite(training.LearningRate)) problems.Add($"Training.LearningRate {training.LearningRate} must be a positive number");
            if (!(training.ProximalMu >= 0) || !double.IsFinite(training.ProximalMu)) problems.Add($"Training.ProximalMu {training.ProximalMu} must be zero or positive");
        }
        if (spec.Privacy is { Enabled: true } privacy) ValidatePrivacy(spec, privacy, strategyValid, problems);
        if (spec.Privacy is not null) SecureAggregationValidation.Validate(spec, spec.Privacy, problems);
        ValidationDataValidation.Validate(spec, problems);
        RobustnessValidation.Validate(spec, problems);
        (limits ?? new TaskLimits()).Check(spec, problems);
        return problems;
    }

    /// <summary>The selection policy: known, and random whenever the privacy accountant or Poisson sampling counts on a random draw.</summary>
    private static void ValidateSelection(TaskSpec spec, List<string> problems)
    {
        ValidateOverSelection(spec, problems);
        ValidateLateUpdates(spec, problems);
        if (spec.Selection is null || !Core.Selection.SelectionPolicies.Names.Contains(spec.Selection))
        {
            problems.Add($"Selection '{spec.Selection}' is unknown (known: {string.Join(", ", Core.Selection.SelectionPolicies.Names)})");
            return;
        }
        if (spec.Selection == Core.Selection.SelectionPolicies.Random) return;
        if (spec.Sampling == ClientSampling.Poisson)
            problems.Add($"Selection '{spec.Selection}' cannot be combined with Poisson sampling: each client is drawn independently there");
        if (spec.Privacy is { Enabled: true, Mechanism: PrivacyMechanism.Central })
            problems.Add($"Selection '{spec.Selection}' cannot be combined with central DP: the accountant's amplification by subsampling holds only for a random selection");
    }

    /// <summary>Over-selection: a share in [0, 1], and none where the round's participants must be a uniform draw or all report.</summary>
    private static void ValidateOverSelection(TaskSpec spec, List<string> problems)
    {
        if (spec.OverSelection == 0) return;
        if (!(spec.OverSelection > 0 && spec.OverSelection <= 1))
        {
            problems.Add(FormattableString.Invariant($"OverSelection {spec.OverSelection} must be a share from 0 (none) to 1 (twice the clients a round needs)"));
            return;
        }
        if (spec.Sampling == ClientSampling.Poisson)
            problems.Add("OverSelection cannot be combined with Poisson sampling: the accountant counts every sampled client");
        if (spec.Privacy is { Enabled: true, Mechanism: PrivacyMechanism.Central })
            problems.Add("OverSelection cannot be combined with central DP: the first updates to arrive are not a random sample, which the accountant's amplification by subsampling assumes");
        if (spec.Privacy?.IsSecureAggregation == true)
            problems.Add("OverSelection cannot be combined with secure aggregation: its protocol counts on every client it admitted");
    }

    /// <summary>The late-update policy: known, and "fold" only where a round may take an update trained on the previous model.</summary>
    private static void ValidateLateUpdates(TaskSpec spec, List<string> problems)
    {
        if (!Core.Aggregation.LateUpdatePolicy.IsKnown(spec.LateUpdates))
        {
            problems.Add($"LateUpdates '{spec.LateUpdates}' is unknown (known: {string.Join(", ", Core.Aggregation.LateUpdatePolicy.Names)})");
            return;
        }
        foreach (var problem in Core.Aggregation.LateUpdatePolicy.Problems(spec.LateUpdates, spec.Strategy, spec.Sampling == ClientSampling.Poisson,
                     spec.Privacy is { Enabled: true, Mechanism: PrivacyMechanism.Central }, spec.Privacy?.IsSecureAggregation == true))
            problems.Add($"LateUpdates '{spec.LateUpdates}' {problem}");
    }

    /// <summary>
    /// The privacy settings of a DP task: z &gt; 0, C &gt; 0, ε budget &gt; 0, 0 &lt; δ &lt; 1 (all finite), the adaptive-clipping
    /// settings, and whether the task's strategy can run under central DP (DP-FedAvg wraps only the linear and
    /// server-optimizer strategies).
    /// </summary>
    private static void ValidatePrivacy(TaskSpec spec, PrivacyConfig privacy, bool strategyValid, List<string> problems)
    {
        var before = problems.Count;
        if (!(privacy.NoiseMultiplier > 0) || !double.IsFinite(privacy.NoiseMultiplier))
            problems.Add($"Privacy.NoiseMultiplier {privacy.NoiseMultiplier} must be a finite number greater than 0");
        if (!(privacy.ClippingNorm > 0) || !double.IsFinite(privacy.ClippingNorm))
            problems.Add($"Privacy.ClippingNorm {privacy.ClippingNorm} must be a finite number greater than 0");
        if (!(privacy.EpsilonBudget > 0) || !double.IsFinite(privacy.EpsilonBudget))
            problems.Add($"Privacy.EpsilonBudget {privacy.EpsilonBudget} must be a finite number greater than 0");
        if (!(privacy.Delta > 0 && privacy.Delta < 1))
            problems.Add($"Privacy.Delta {privacy.Delta} must be in (0, 1)");
        if (!Enum.IsDefined(privacy.Mechanism))
            problems.Add($"Privacy.Mechanism {privacy.Mechanism} is unknown (Central, Local)");
        if (privacy.AdaptiveClipping)
        {
            if (privacy.Mechanism == PrivacyMechanism.Local)
                problems.Add("Privacy.AdaptiveClipping applies to the central mechanism only (DP-SGD on the nodes clips each example to ClippingNorm)");
            if (!(privacy.TargetQuantile >= 0 && privacy.TargetQuantile <= 1))
                problems.Add($"Privacy.TargetQuantile {privacy.TargetQuantile} must be in [0, 1]");
            if (!(privacy.ClipLearningRate > 0) || !double.IsFinite(privacy.ClipLearningRate))
                problems.Add($"Privacy.ClipLearningRate {privacy.ClipLearningRate} must be a finite number greater than 0");
            if (!(privacy.CountNoiseStd >= 0) || !double.IsFinite(privacy.CountNoiseStd))
                problems.Add($"Privacy.CountNoiseStd {privacy.CountNoiseStd} must be 0 (the default) or a finite positive number");
            else if (privacy.CountNoiseStd > 0 && !(2 * privacy.CountNoiseStd > privacy.NoiseMultiplier))
                problems.Add($"Privacy.CountNoiseStd {privacy.CountNoiseStd} must exceed half the noise multiplier ({privacy.NoiseMultiplier / 2}): " +
                    "adaptive clipping needs 2σ_b > z");
        }
        if (problems.Count > before || !strategyValid || privacy.Mechanism != PrivacyMechanism.Central) return;
        if (Core.Planning.RoundPlanner.CentralDpProblem(spec) is { } problem) problems.Add(problem);
    }
}
