using System.Text.Json.Serialization;

namespace FlMicroservices.Simulation;

/// <summary>What one round of a simulation produced, as written to metrics.jsonl.</summary>
public sealed record RoundMetrics(
    [property: JsonPropertyName("round")] int Round,
    [property: JsonPropertyName("model_version")] int ModelVersion,
    [property: JsonPropertyName("participants")] int Participants,
    [property: JsonPropertyName("contributors")] int Contributors,
    [property: JsonPropertyName("dropouts")] int Dropouts,
    [property: JsonPropertyName("rejected")] int Rejected,
    [property: JsonPropertyName("accuracy")] double? Accuracy,
    [property: JsonPropertyName("loss")] double? Loss,
    [property: JsonPropertyName("train_loss")] double TrainLoss,
    [property: JsonPropertyName("rolled_back")] bool RolledBack,
    [property: JsonPropertyName("succeeded")] bool Succeeded,
    [property: JsonPropertyName("wall_seconds")] double WallSeconds,
    [property: JsonPropertyName("training_seconds")] double TrainingSeconds,
    [property: JsonPropertyName("overhead_share")] double OverheadShare)
{
    /// <summary>ε spent after this round, as the privacy accountant reported it (null without DP).</summary>
    [JsonPropertyName("epsilon")]
    public double? Epsilon { get; init; }
}
