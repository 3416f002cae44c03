namespace RoundCompletedSubscriber;

/// <summary>The fields of a RoundCompleted event this sample prints (docs/events/schemas/RoundCompleted.schema.json has them all).</summary>
public sealed record RoundCompletedEvent(string TaskId, int Round, int ModelVersion, bool Succeeded, double? Accuracy, string? FailureReason)
{
    /// <summary>One line for the console, e.g. "task mnist-1 round 3: accuracy 0.9123 (model version 3)".</summary>
    public override string ToString() =>
        $"task {TaskId} round {Round}: "
        + (Accuracy is { } accuracy ? $"accuracy {accuracy.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)}" : "accuracy not measured")
        + $" (model version {ModelVersion})"
        + (Succeeded ? "" : $", failed: {FailureReason}");
}
