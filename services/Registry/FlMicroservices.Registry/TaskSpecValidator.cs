using FlMicroservices.Contracts;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Registry;

/// <summary>Checks a task request before the platform accepts it; each problem names the setting.</summary>
public static class TaskSpecValidator
{
    public static readonly string[] KnownModels = ["logreg", "mlp", "cnn"];

    public static IReadOnlyList<string> Validate(string taskId, TaskSpec? spec)
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
        try { Core.Aggregation.StrategyCatalog.Create(spec.Strategy ?? "", spec.StrategyParameters); }
        catch (ArgumentException e) { problems.Add($"Strategy: {e.Message}"); }
        if (!(spec.RollbackThreshold >= 0)) problems.Add($"RollbackThreshold {spec.RollbackThreshold} must be zero or positive");
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
        if (spec.Privacy is { Enabled: true })
            problems.Add("Privacy.Enabled: differential privacy is not available in this version of the platform; create the task without it");
        return problems;
    }
}
