using System.Collections.Concurrent;

namespace FlMicroservices.Node;

/// <summary>How long this node spent training in each round (from the first client's start to the last client's end), and the update bytes it sent.</summary>
public sealed class NodeStatistics
{
    private readonly ConcurrentDictionary<(string Task, int Round), double> _trainingSeconds = new();
    private readonly ConcurrentDictionary<(string Task, int Round), long> _updateBytes = new();

    public void RecordTraining(string taskId, int round, double seconds) => _trainingSeconds[(taskId, round)] = seconds;

    public double? TrainingSeconds(string taskId, int round) =>
        _trainingSeconds.TryGetValue((taskId, round), out var s) ? s : null;

    /// <summary>Adds the slice payload bytes (as encoded, headers aside) a client of this node put on the update stream for the round.</summary>
    public void RecordUpdateBytes(string taskId, int round, long bytes) => _updateBytes.AddOrUpdate((taskId, round), bytes, (_, total) => total + bytes);

    /// <summary>The slice payload bytes this node's clients sent for the round (compressed where the task compresses), or null when none.</summary>
    public long? UpdateBytes(string taskId, int round) => _updateBytes.TryGetValue((taskId, round), out var b) ? b : null;
}
