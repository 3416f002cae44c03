using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Node;

/// <summary>A trained update held back until its round closed (late-update fold under the simulated clock), with what its upload needs.</summary>
public sealed record LateUpload(RoundStarted Round, string ClientId, float[] Delta, int ExampleCount, LocalMetrics Metrics);

/// <summary>
/// Updates a gate held back until their round closed (<see cref="SubmitVerdict.SendsAfterClose"/>), sent when the task's next round
/// starts; only the last round's are kept, so what waits is bounded by one round's late clients (docs/selection.md, "Late updates").
/// </summary>
public sealed class LateUploads
{
    private readonly object _sync = new();
    private readonly Dictionary<string, List<LateUpload>> _held = new(StringComparer.Ordinal);

    public void Hold(LateUpload upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        lock (_sync)
        {
            if (!_held.TryGetValue(upload.Round.TaskId, out var list)) _held[upload.Round.TaskId] = list = [];
            list.RemoveAll(u => u.Round.Round != upload.Round.Round); // an older round's: too late for anything now
            list.Add(upload);
        }
    }

    /// <summary>The task's held updates of <paramref name="round"/>, in the order they were held, taken out; older ones are dropped.</summary>
    public IReadOnlyList<LateUpload> Take(string taskId, int round)
    {
        lock (_sync)
        {
            if (!_held.Remove(taskId, out var list)) return [];
            return [.. list.Where(u => u.Round.Round == round)];
        }
    }
}
