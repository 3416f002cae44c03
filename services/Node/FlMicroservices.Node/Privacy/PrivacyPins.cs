using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Node.Privacy;

/// <summary>
/// The privacy settings of the first round a node took part in for each task, kept durably; a later round with weaker settings
/// is refused (a forged RoundStarted cannot switch privacy off). Trust on first round until RoundStarted is signed.
/// </summary>
public sealed class PrivacyPins(IStateStore store) : RestoredState
{
    private const string Kind = "privacy-pin";
    private readonly ConcurrentDictionary<string, PrivacyConfig> _pins = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _write = new(1, 1);

    public override string Name => "node privacy pins";

    /// <summary>Why <paramref name="round"/> is refused, or null when it may run (pinning the task's settings if it is the first).</summary>
    public async Task<string?> CheckAsync(RoundStarted round, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        await RestoreAsync(cancellationToken);
        if (_pins.TryGetValue(round.TaskId, out var pinned))
            return PrivacyFloor.Weakening(pinned, round.Privacy) is { } weaker
                ? $"round {round.Round} of task {round.TaskId} asks for weaker privacy than the task's first round: {weaker}"
                : null;
        await _write.WaitAsync(cancellationToken);
        try
        {
            if (_pins.ContainsKey(round.TaskId)) return await CheckAsync(round, cancellationToken);
            await store.PutAsync(Kind, round.TaskId, new Pin(round.TaskId, round.Round, round.Privacy), cancellationToken);
            _pins[round.TaskId] = round.Privacy;
            return null;
        }
        finally { _write.Release(); }
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var pin in await store.ListAsync<Pin>(Kind, cancellationToken)) _pins[pin.TaskId] = pin.Privacy;
    }

    private sealed record Pin(string TaskId, int Round, PrivacyConfig Privacy);
}
