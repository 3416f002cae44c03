using System.Collections.Concurrent;

namespace FlMicroservices.Node;

/// <summary>How long this node spent training in each round (from the first client's start to the last client's end).</summary>
public sealed class NodeStatistics
{
    private readonly ConcurrentDictionary<(string Task, int Round), double> _trainingSeconds = new();

    public void RecordTraining(string taskId, int round, double seconds) => _trainingSeconds[(taskId, round)] = seconds;

    public double? TrainingSeconds(string taskId, int round) =>
        _trainingSeconds.TryGetValue((taskId, round), out var s) ? s : null;
}
