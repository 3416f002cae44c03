using System.Text.Json.Serialization;

namespace FlMicroservices.Simulation;

/// <summary>The outcome of a simulation, as written to summary.json.</summary>
public sealed record SimulationResult(
    [property: JsonPropertyName("task_id")] string TaskId,
    [property: JsonPropertyName("dataset")] string Dataset,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("clients")] int Clients,
    [property: JsonPropertyName("rounds")] int Rounds,
    [property: JsonPropertyName("final_accuracy")] double? FinalAccuracy,
    [property: JsonPropertyName("final_loss")] double? FinalLoss,
    [property: JsonPropertyName("best_accuracy")] double? BestAccuracy,
    [property: JsonPropertyName("accuracy_per_round")] double?[] AccuracyPerRound,
    [property: JsonPropertyName("loss_per_round")] double?[] LossPerRound,
    [property: JsonPropertyName("participants_per_round")] int[] ParticipantsPerRound,
    [property: JsonPropertyName("rounds_to_target")] int? RoundsToTarget,
    [property: JsonPropertyName("target_accuracy")] double TargetAccuracy,
    [property: JsonPropertyName("mean_overhead_share")] double MeanOverheadShare,
    [property: JsonPropertyName("wall_seconds")] double WallSeconds,
    [property: JsonPropertyName("completion_reason")] string CompletionReason,
    [property: JsonPropertyName("seed")] int Seed)
{
    [JsonIgnore]
    public IReadOnlyList<RoundMetrics> PerRound { get; init; } = [];

    /// <summary>False when a round failed or the task ended early for a reason other than its target or privacy budget.</summary>
    [JsonPropertyName("succeeded")]
    public bool Succeeded { get; init; } = true;

    /// <summary>"central" (DP-FedAvg), "local" (DP-SGD on the clients), or null without differential privacy.</summary>
    [JsonPropertyName("dp_mechanism")]
    public string? DpMechanism { get; init; }

    /// <summary>ε the privacy accountant reported spent after the last round (local DP: the largest over the clients); null without DP.</summary>
    [JsonPropertyName("epsilon_spent")]
    public double? EpsilonSpent { get; init; }

    /// <summary>How ε was accounted, when not by rounds of the RDP accountant (async mode: per client; docs/fedbuff.md, "Privacy").</summary>
    [JsonPropertyName("dp_accounting")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DpAccounting { get; init; }

    [JsonPropertyName("epsilon_budget")]
    public double? EpsilonBudget { get; init; }

    [JsonPropertyName("delta")]
    public double? Delta { get; init; }

    /// <summary>The noise multiplier z the task ran with; null without DP.</summary>
    [JsonPropertyName("noise_multiplier")]
    public double? NoiseMultiplier { get; init; }

    /// <summary>True when z was calibrated from the budget and the number of rounds rather than given.</summary>
    [JsonPropertyName("noise_calibrated")]
    public bool NoiseCalibrated { get; init; }

    /// <summary>The best validated model version (docs/model-lifecycle.md); null when nothing was validated.</summary>
    [JsonPropertyName("best_version")]
    public int? BestVersion { get; init; }

    /// <summary>The version current when the task ended (the last accepted one, or the best after a rollback).</summary>
    [JsonPropertyName("final_version")]
    public int? FinalVersion { get; init; }

    /// <summary>The folder the best version was exported to (weights.bin and manifest.json), under the run's output folder.</summary>
    [JsonPropertyName("best_model")]
    public string? BestModelFolder { get; init; }

    /// <summary>True when the task stopped because the next round would have exceeded the ε budget.</summary>
    [JsonPropertyName("privacy_budget_exhausted")]
    public bool PrivacyBudgetExhausted { get; init; }

    /// <summary>Simulated seconds from the first round's start to the last round's end (null without --profiles).</summary>
    [JsonPropertyName("simulated_seconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SimulatedSeconds { get; init; }

    /// <summary>Simulated seconds until the round that first reached the target accuracy ended (null: no clock, or not reached).</summary>
    [JsonPropertyName("simulated_seconds_to_target")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SimulatedSecondsToTarget { get; init; }

    /// <summary>The run's process at its largest (peak working set, bytes): every service, the node and its clients in one process.</summary>
    [JsonPropertyName("peak_memory_bytes")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? PeakMemoryBytes { get; init; }

    /// <summary>"async" for a FedBuff run (docs/fedbuff.md); null for synchronous rounds.</summary>
    [JsonPropertyName("mode")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Mode { get; init; }

    /// <summary>Async: K, the buffer's size; the clients training at once; the staleness limit (null: none) and weighting.</summary>
    [JsonPropertyName("buffer")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Buffer { get; init; }

    [JsonPropertyName("concurrency")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Concurrency { get; init; }

    [JsonPropertyName("max_staleness")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? MaxStaleness { get; init; }

    [JsonPropertyName("staleness")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Staleness { get; init; }

    /// <summary>Async: how many updates the buffer dropped, by reason (too stale, not finite).</summary>
    [JsonPropertyName("dropped_updates")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, int>? DroppedUpdates { get; init; }
}
