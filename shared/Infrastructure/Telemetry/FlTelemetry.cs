using System.Diagnostics;
using System.Diagnostics.Metrics;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Infrastructure.Telemetry;

/// <summary>The platform's meter and activity source, with one method per fact a service records.</summary>
public static class FlTelemetry
{
    public const string MeterName = "FlMicroservices";
    public const string ActivitySourceName = "FlMicroservices";
    /// <summary>The W3C trace-context header name carried by update-stream records.</summary>
    public const string TraceParentHeader = "traceparent";

    public static ActivitySource Source { get; } = new(ActivitySourceName);
    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> RoundsStarted = Meter.CreateCounter<long>("fl.rounds.started", "{round}", "Rounds the selector started");
    private static readonly Counter<long> RoundsCompleted = Meter.CreateCounter<long>("fl.rounds.completed", "{round}", "Rounds that produced a model version");
    private static readonly Counter<long> RoundsFailed = Meter.CreateCounter<long>("fl.rounds.failed", "{round}", "Rounds that ended without a model version");
    private static readonly Histogram<double> RoundDuration = Meter.CreateHistogram<double>("fl.round.duration", "s", "From RoundStarted to RoundCompleted, seen by the selector");
    private static readonly Counter<long> UpdatesFolded = Meter.CreateCounter<long>("fl.updates.folded", "{update}", "Client updates accepted into a round's aggregate");
    private static readonly Counter<long> SlicesFolded = Meter.CreateCounter<long>("fl.update_slices.folded", "{slice}", "Update-stream records the aggregation folded");
    private static readonly Counter<long> BytesFolded = Meter.CreateCounter<long>("fl.update_bytes.folded", "By", "Encoded bytes of the update-stream records the aggregation folded");
    private static readonly Counter<long> UpdatesRejected = Meter.CreateCounter<long>("fl.updates.rejected", "{update}", "Client updates refused, by reason");
    private static readonly Counter<long> Dropouts = Meter.CreateCounter<long>("fl.clients.dropouts", "{client}", "Selected clients that sent no complete update");
    private static readonly Gauge<double> EpsilonSpent = Meter.CreateGauge<double>("fl.privacy.epsilon_spent", null, "Epsilon a task has spent so far");
    private static readonly Gauge<double> Accuracy = Meter.CreateGauge<double>("fl.model.accuracy", null, "Validation accuracy of a task's current model");
    private static readonly Histogram<double> SelectionTime = Meter.CreateHistogram<double>("fl.selector.selection.duration", "s", "Reading the healthy clients, keeping those that fit the task and sampling a round's participants");
    private static readonly Histogram<double> TrainingTime = Meter.CreateHistogram<double>("fl.node.training.duration", "s", "Local training time of one client in one round");
    private static readonly Gauge<long> ErrorQueueMessages = Meter.CreateGauge<long>("fl.messaging.error_queue.depth", "{message}", "Messages waiting in an _error queue (every retry failed), as of the last readiness check");
    private static readonly Counter<long> BytesSent = Meter.CreateCounter<long>("fl.node.update_bytes.sent", "By", "Encoded update bytes written to the update stream");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Task, int Round), long> Started = new();

    /// <summary>Starts a round's own trace (linked to whatever triggered it), so each round is one trace across the services.</summary>
    public static Activity? StartRound(string taskId, int round)
    {
        var trigger = Activity.Current;
        Activity.Current = null; // a new root: the round's trace, not the previous round's
        var links = trigger is null ? null : new[] { new ActivityLink(trigger.Context) };
        var activity = Source.StartActivity(ActivityKind.Producer, default, Tags(taskId, round), links, default, "selector start round");
        Started[(taskId, round)] = Stopwatch.GetTimestamp();
        RoundsStarted.Add(1, new KeyValuePair<string, object?>("fl.task", taskId));
        return activity;
    }

    /// <summary>A span of work on one round inside the current trace.</summary>
    public static Activity? StartStep(string name, string taskId, int round) =>
        Source.StartActivity(ActivityKind.Internal, default, Tags(taskId, round), null, default, name);

    /// <summary>The W3C traceparent of the current activity, for a record header (null when nothing is traced).</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>A consumer span continuing the trace named by a record's traceparent header (a new trace when it has none).</summary>
    public static Activity? StartConsume(string name, string? traceParent)
    {
        ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent);
        return Source.StartActivity(ActivityKind.Consumer, parent, null, null, default, name);
    }

    /// <summary>The selector saw a round end: completed or failed, its duration, accuracy, rejections and dropouts.</summary>
    public static void RoundEnded(RoundCompleted completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        var task = new KeyValuePair<string, object?>("fl.task", completed.TaskId);
        (completed.Succeeded ? RoundsCompleted : RoundsFailed).Add(1, task);
        if (Started.TryRemove((completed.TaskId, completed.Round), out var since))
            RoundDuration.Record(Stopwatch.GetElapsedTime(since).TotalSeconds, task);
        if (completed.Accuracy is { } accuracy) Accuracy.Record(accuracy, task);
        UpdatesFolded.Add(completed.Contributors.Length, task);
        foreach (var rejected in completed.Rejected)
            UpdatesRejected.Add(1, task, new KeyValuePair<string, object?>("fl.reason", RejectionKind(rejected.Reason)));
        Dropouts.Add(completed.Dropouts.Length, task);
    }

    /// <summary>The depth of one of this process's _error queues, read by the readiness check.</summary>
    public static void ErrorQueueDepth(string queue, long depth) =>
        ErrorQueueMessages.Record(depth, new KeyValuePair<string, object?>("fl.queue", queue));

    /// <summary>The aggregation folded one update-stream record of <paramref name="bytes"/> encoded bytes.</summary>
    public static void SliceFolded(int bytes)
    {
        SlicesFolded.Add(1);
        BytesFolded.Add(bytes);
    }

    /// <summary>The privacy accountant's running total for a task.</summary>
    public static void PrivacySpent(string taskId, double epsilon) =>
        EpsilonSpent.Record(epsilon, new KeyValuePair<string, object?>("fl.task", taskId));

    /// <summary>The selector chose a round's participants in <paramref name="seconds"/>.</summary>
    public static void ClientsSelected(string taskId, double seconds) =>
        SelectionTime.Record(seconds, new KeyValuePair<string, object?>("fl.task", taskId));

    /// <summary>A node trained one client for one round.</summary>
    public static void ClientTrained(double seconds) => TrainingTime.Record(seconds);

    /// <summary>An update-stream producer wrote one record.</summary>
    public static void UpdateBytesSent(int bytes) => BytesSent.Add(bytes);

    /// <summary>A bounded set of rejection kinds for the metric's reason tag (the full text stays in RoundCompleted).</summary>
    public static string RejectionKind(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        if (reason.Contains("not selected", StringComparison.OrdinalIgnoreCase)) return "not-selected";
        if (reason.Contains("NaN", StringComparison.Ordinal) || reason.Contains("infinite", StringComparison.OrdinalIgnoreCase)) return "non-finite";
        if (reason.Contains("norm", StringComparison.OrdinalIgnoreCase)) return "norm-limit";
        if (reason.Contains("digest", StringComparison.OrdinalIgnoreCase)) return "digest-mismatch";
        if (reason.Contains("manifest", StringComparison.OrdinalIgnoreCase)) return "manifest-mismatch";
        if (reason.Contains("overflow", StringComparison.OrdinalIgnoreCase)) return "overflow";
        if (reason.Contains("secure", StringComparison.OrdinalIgnoreCase) || reason.Contains("mask", StringComparison.OrdinalIgnoreCase)) return "secure-aggregation";
        return "other";
    }

    private static ActivityTagsCollection Tags(string taskId, int round) => new() { ["fl.task"] = taskId, ["fl.round"] = round };
}
