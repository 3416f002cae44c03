using FlMicroservices.Contracts.V1;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Node;

/// <summary>Which of a node's selected clients start a round, and which of those that trained send their update (docs/simulated-clock.md).</summary>
public interface IParticipationGate
{
    /// <summary>
    /// The clients of <paramref name="selected"/> that start the round, and those that decline it (announced, so the round does
    /// not wait for them); the rest drop out silently before they download the model.
    /// </summary>
    Admission Admit(RoundStarted round, IReadOnlyList<HostedClient> selected);

    /// <summary>For each client of <paramref name="admitted"/>, in order, whether it sends its update, or declines, or goes silent.</summary>
    /// <param name="round">The round.</param>
    /// <param name="selected">Every client of this node the round selected.</param>
    /// <param name="admitted">The clients that trained (<see cref="Admit"/>'s answer).</param>
    /// <param name="samplesProcessed">Examples each admitted client trained on, counted once per local epoch.</param>
    /// <param name="modelValues">Values in the model a client downloads and in the update it sends.</param>
    IReadOnlyList<SubmitVerdict> Submit(RoundStarted round, IReadOnlyList<HostedClient> selected, IReadOnlyList<HostedClient> admitted,
        IReadOnlyList<long> samplesProcessed, int modelValues);

    /// <summary>
    /// A client's update that <see cref="Submit"/> held for after round <paramref name="heldRound"/> closed
    /// (<see cref="SubmitVerdict.SendsAfterClose"/>): whether it arrives before <paramref name="next"/> closes. Asked after
    /// <see cref="Submit"/> of <paramref name="next"/>; an update that would not is dropped.
    /// </summary>
    bool ArrivesBeforeClose(RoundStarted next, int heldRound, string clientId) => true;
}

/// <summary>A gate's answer to a round: who trains, and who says no with a reason.</summary>
public sealed record Admission(IReadOnlyList<HostedClient> Admitted, IReadOnlyList<GateDecline> Declined)
{
    /// <summary>Every client trains.</summary>
    public static Admission All(IReadOnlyList<HostedClient> clients) => new(clients, []);
}

/// <summary>A client that will not send this round, why, and how long it would have needed when known.</summary>
public sealed record GateDecline(HostedClient Client, string Reason, double? Seconds = null);

/// <summary>What one trained client does: sends (with its round time when the gate knows it), declines with a reason, or goes silent.</summary>
/// <param name="SendsAfterClose">With a decline: the client still sends its update, after the round closed, for the task to fold into the next round (late-update fold, docs/selection.md).</param>
public sealed record SubmitVerdict(bool Sends, double? Seconds = null, string? DeclineReason = null, bool SendsAfterClose = false)
{
    public static SubmitVerdict Send { get; } = new(true);
}

/// <summary>
/// The node's own gate: outside <see cref="NodeOptions.TrainingWindow"/> (local time) no client starts; inside it
/// <see cref="NodeOptions.DropoutRate"/> of the selected clients drop out (seeded by the round) and the rest send.
/// </summary>
public sealed class NodeGate(IOptions<NodeOptions> options, TimeProvider time, ILogger<NodeGate> logger) : IParticipationGate
{
    public Admission Admit(RoundStarted round, IReadOnlyList<HostedClient> selected)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(selected);
        if (options.Value.Window is { } window && !window.Contains(TimeOnly.FromDateTime(time.GetLocalNow().DateTime)))
        {
            logger.LogInformation("Round {Task}/{Round}: it is outside this node's training window {Window}; its {Clients} selected clients decline it",
                round.TaskId, round.Round, window, selected.Count);
            return new Admission([], [.. selected.Select(c => new GateDecline(c, $"outside its node's training window {window}"))]);
        }
        // Simulated dropouts are silent, as a client that crashes or loses its network would be.
        var dropoutRng = new Random(ClientSeeds.For(round.Seed, round.Round, "dropout"));
        return Admission.All([.. selected.Where(_ => dropoutRng.NextDouble() >= options.Value.DropoutRate)]);
    }

    public IReadOnlyList<SubmitVerdict> Submit(RoundStarted round, IReadOnlyList<HostedClient> selected, IReadOnlyList<HostedClient> admitted,
        IReadOnlyList<long> samplesProcessed, int modelValues) =>
        Enumerable.Repeat(SubmitVerdict.Send, admitted?.Count ?? 0).ToArray();
}

/// <summary>A daily window of local time, "HH:mm-HH:mm"; one that ends before it starts runs past midnight (22:00-06:00).</summary>
public sealed record DailyWindow(TimeOnly From, TimeOnly To)
{
    /// <summary>True when <paramref name="time"/> is inside the window (its start included, its end not).</summary>
    public bool Contains(TimeOnly time) => From <= To ? time >= From && time < To : time >= From || time < To;

    /// <summary>The window <paramref name="text"/> names, or null with a reason.</summary>
    public static DailyWindow? Parse(string text, out string? problem)
    {
        problem = null;
        var parts = text.Split('-', StringSplitOptions.TrimEntries);
        if (parts.Length == 2
            && TimeOnly.TryParseExact(parts[0], "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var from)
            && TimeOnly.TryParseExact(parts[1], "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var to))
        {
            if (from != to) return new DailyWindow(from, to);
            problem = $"'{text}' starts and ends at the same time; leave the window unset to train at any time";
            return null;
        }
        problem = $"'{text}' is not a daily window of local time such as 22:00-06:00 (HH:mm-HH:mm)";
        return null;
    }

    public override string ToString() => FormattableString.Invariant($"{From:HH:mm}-{To:HH:mm}");
}
