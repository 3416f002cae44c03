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

    /// <summary>Seconds the selector took to choose the round's participants (healthy clients read, filtered and sampled).</summary>
    [JsonPropertyName("selection_seconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SelectionSeconds { get; init; }

    /// <summary>Simulated seconds the round lasted (null without --profiles; docs/simulated-clock.md).</summary>
    [JsonPropertyName("simulated_seconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SimulatedSeconds { get; init; }

    /// <summary>Simulated time at the round's end, counted from the first round's start.</summary>
    [JsonPropertyName("simulated_time")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SimulatedTime { get; init; }

    /// <summary>Model bytes the clients that started the round downloaded.</summary>
    [JsonPropertyName("bytes_down")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? BytesDown { get; init; }

    /// <summary>Update payload bytes the clients put on the update stream in the round, slice headers aside (compressed where the task compresses; docs/compression.md).</summary>
    [JsonPropertyName("bytes_up")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? BytesUp { get; init; }

    /// <summary>Selected clients outside their availability window, failed, and too late for the deadline.</summary>
    [JsonPropertyName("unavailable")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Unavailable { get; init; }

    [JsonPropertyName("failed")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Failed { get; init; }

    [JsonPropertyName("late")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Late { get; init; }

    /// <summary>Late updates of the previous round folded into this one (--late-updates fold; null when none).</summary>
    [JsonPropertyName("late_folded")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? LateFolded { get; init; }

    /// <summary>Async: the mean and largest staleness (versions behind) of the updates this version was made of.</summary>
    [JsonPropertyName("mean_staleness")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MeanStaleness { get; init; }

    [JsonPropertyName("max_staleness")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxStaleness { get; init; }
}
