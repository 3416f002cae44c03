using FlMicroservices.Contracts.V1;
using FlMicroservices.Node;

namespace FlMicroservices.Simulation.Clock;

/// <summary>
/// The node's participation under the simulated clock: a selected client starts only inside its availability window and
/// unless it fails; it sends only when its download, training and upload end before the round's deadline. Every client that
/// will not send declines, so that no round waits on the wall clock (docs/simulated-clock.md, "Declines"). Where the task folds
/// late updates, a client that finishes after its round closed sends after the close, when it would arrive before the next round
/// closes (docs/selection.md, "Late updates").
/// </summary>
public sealed class ClockedParticipation(SimulatedClock clock, IReadOnlyDictionary<string, DeviceProfile> profiles, double deadlineSeconds,
    IParticipationGate inner) : IParticipationGate
{
    private readonly object _gate = new();
    private readonly Dictionary<int, (double Start, int Unavailable, int Failed)> _open = [];
    // Late-update fold: when each late client's update of a round would arrive, in simulated seconds (the last round's only).
    private readonly Dictionary<(int Round, string ClientId), double> _lateArrivals = [];

    public Admission Admit(RoundStarted round, IReadOnlyList<HostedClient> selected)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(selected);
        var start = clock.Now;
        var first = inner.Admit(round, selected);
        var declined = new List<GateDecline>(first.Declined);
        var unavailable = first.Declined.Count;
        var failed = 0;
        var admitted = new List<HostedClient>();
        foreach (var client in first.Admitted)
        {
            var profile = ProfileOf(client);
            if (profile.Window is { } window && !window.Covers(start, start))
            {
                unavailable++;
                declined.Add(new GateDecline(client, "outside its availability window (simulated clock)"));
            }
            else if (BusyUntil(round.Round - 1, client.ClientId) is { } busy && busy > start)
            {
                // Late-update fold: a device still finishing the last round's update cannot train this one; that update comes instead.
                unavailable++;
                declined.Add(new GateDecline(client, FormattableString.Invariant($"busy: its update of round {round.Round - 1} arrives at {busy:0.#} simulated seconds")));
            }
            else if (new Random(ClientSeeds.For(round.Seed, round.Round, client.ClientId + "/failure")).NextDouble() < profile.FailureProbability)
            {
                failed++;
                declined.Add(new GateDecline(client, "failed (simulated clock: the profile's failure probability)"));
            }
            else
                admitted.Add(client);
        }
        // Clients the inner gate dropped silently count as failures too: they were selected and sent nothing. A real node could not
        // announce them, but a simulation does, so that the round closes at once instead of waiting for its wall-clock timeout.
        var silent = selected.Where(c => !first.Admitted.Contains(c) && first.Declined.All(d => d.Client != c)).ToList();
        failed += silent.Count;
        declined.AddRange(silent.Select(c => new GateDecline(c, "dropped out (simulated)")));
        lock (_gate) _open[round.Round] = (start, unavailable, failed);
        return new Admission(admitted, declined);
    }

    public IReadOnlyList<SubmitVerdict> Submit(RoundStarted round, IReadOnlyList<HostedClient> selected, IReadOnlyList<HostedClient> admitted,
        IReadOnlyList<long> samplesProcessed, int modelValues)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(selected);
        ArgumentNullException.ThrowIfNull(admitted);
        ArgumentNullException.ThrowIfNull(samplesProcessed);
        (double Start, int Unavailable, int Failed) open;
        lock (_gate)
        {
            if (!_open.Remove(round.Round, out open)) open = (clock.Now, 0, 0);
        }
        var bytes = (long)modelValues * sizeof(float); // the model comes down as float32
        // Updates go up compressed where the task compresses (docs/compression.md); zstd's gain is not known before the upload.
        var upBytes = Core.Compression.CompressionSpec.Parse(Core.Planning.RoundPlan.SettingsOf(round).Compression).PayloadBytes(modelValues, round.SliceElements);
        var verdicts = new SubmitVerdict[admitted.Count];
        var slowest = 0.0;
        var late = 0;
        var lateIndices = new List<int>();
        for (var i = 0; i < admitted.Count; i++)
        {
            var profile = ProfileOf(admitted[i]);
            var seconds = profile.RoundSeconds(samplesProcessed[i], bytes, upBytes, clock.ReferenceSamplesPerSecond);
            // In time, and (for a client with a window) still inside the window when the upload ends.
            if (seconds > deadlineSeconds)
            {
                verdicts[i] = new SubmitVerdict(false, seconds, FormattableString.Invariant($"late: it would need {seconds:0.#} simulated seconds, the round's deadline is {deadlineSeconds:0.#}"));
                lateIndices.Add(i);
            }
            else if (profile.Window is { } window && !window.Covers(open.Start, open.Start + seconds))
                verdicts[i] = new SubmitVerdict(false, seconds, "its availability window would end before its upload (simulated clock)");
            else
            {
                verdicts[i] = new SubmitVerdict(true, seconds);
                slowest = Math.Max(slowest, seconds);
                continue;
            }
            late++;
        }
        // Over-selection: the round closes with its target's worth of updates, so only the fastest that many arrive in time.
        if (round.Settings?.TargetUpdates is { } target && verdicts.Count(v => v.Sends) > target)
        {
            var inTime = Enumerable.Range(0, verdicts.Length).Where(i => verdicts[i].Sends).OrderBy(i => verdicts[i].Seconds).ThenBy(i => admitted[i].ClientId, StringComparer.Ordinal).ToArray();
            foreach (var i in inTime.Skip(target))
            {
                verdicts[i] = verdicts[i] with { Sends = false, DeclineReason = FormattableString.Invariant($"late: the round closed with its {target} updates before it would have finished ({verdicts[i].Seconds:0.#} simulated seconds)") };
                lateIndices.Add(i);
                late++;
            }
            HoldLate(round, admitted, verdicts, lateIndices, open.Start);
            clock.Complete(new SimulatedRound(round.Round, open.Start, verdicts[inTime[target - 1]].Seconds!.Value, admitted.Count * bytes, target * upBytes, open.Unavailable, open.Failed, late));
            return verdicts;
        }
        var sent = verdicts.Count(v => v.Sends);
        // A synchronous round waits for every selected client that did not decline at the start (outside its window): until the
        // last update, or until the deadline when one never comes (a failure or a straggler, which a real client could not announce).
        // With over-selection it also ends when its target's worth arrived.
        var duration = sent + open.Unavailable == selected.Count || (round.Settings?.TargetUpdates is { } t && sent >= t) ? slowest : deadlineSeconds;
        clock.Complete(new SimulatedRound(round.Round, open.Start, duration, admitted.Count * bytes, sent * upBytes, open.Unavailable, open.Failed, late));
        HoldLate(round, admitted, verdicts, lateIndices, open.Start);
        return verdicts;
    }

    private double? BusyUntil(int round, string clientId)
    {
        lock (_gate) return _lateArrivals.TryGetValue((round, clientId), out var arrival) ? arrival : null;
    }

    /// <summary>A held late update arrives before <paramref name="next"/> closes when its client finishes by the end the clock gave that round.</summary>
    public bool ArrivesBeforeClose(RoundStarted next, int heldRound, string clientId)
    {
        ArgumentNullException.ThrowIfNull(next);
        double arrival;
        lock (_gate)
        {
            if (!_lateArrivals.TryGetValue((heldRound, clientId), out arrival)) return false;
        }
        return heldRound == next.Round - 1 && clock.Round(next.Round) is { } closing && arrival <= closing.End;
    }

    // Late-update fold: the late clients still send, after the close, with when their update would arrive.
    private void HoldLate(RoundStarted round, IReadOnlyList<HostedClient> admitted, SubmitVerdict[] verdicts, List<int> lateIndices, double start)
    {
        if (!Core.Aggregation.LateUpdatePolicy.Folds(round.Settings)) return;
        lock (_gate)
        {
            // The previous round's stay until this round's ArrivesBeforeClose has answered for them.
            foreach (var key in _lateArrivals.Keys.Where(k => k.Round < round.Round - 1).ToArray()) _lateArrivals.Remove(key);
            foreach (var i in lateIndices)
            {
                verdicts[i] = verdicts[i] with { SendsAfterClose = true };
                _lateArrivals[(round.Round, admitted[i].ClientId)] = start + verdicts[i].Seconds!.Value;
            }
        }
    }

    private DeviceProfile ProfileOf(HostedClient client) =>
        profiles.TryGetValue(client.ClientId, out var profile) ? profile : throw new InvalidOperationException($"Client {client.ClientId} has no device profile.");
}
