using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Registry;

namespace FlMicroservices.Services.Tests.Registry;

/// <summary>The registry counts each client's rounds (selected, contributed, dropped, rejected with the reason) once per round, and keeps them in its store.</summary>
public sealed class ParticipationLedgerTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 7, 0, 0, TimeSpan.Zero);

    private static RoundCompleted Round(string task, int round, string[] participants, string[] contributors, string[] dropouts, RejectedUpdate[] rejected,
        string[]? leftOut = null) =>
        new(task, round, round, true, false, 0.5, 1.0, participants,
            [.. contributors.Select(c => new Contribution(c, 100, 1.0, 0.5)), .. (leftOut ?? []).Select(c => new Contribution(c, 100, 1.0, 0.5, Aggregated: false))],
            rejected, dropouts, null, At.AddMinutes(round));

    [Fact]
    public async Task Rounds_are_counted_per_client_once_each_and_the_last_rejection_says_where_and_why()
    {
        var ledger = new ParticipationLedger();
        await ledger.RecordRoundAsync(Round("t", 1, ["a", "b", "c", "d"], ["a", "b"], ["c"], [new("d", "update norm 90 is over 10 times the median")]), default);
        await ledger.RecordRoundAsync(Round("t", 2, ["a", "b", "d"], ["a"], [], [new("d", "signature does not verify")], leftOut: ["b"]), default);
        await ledger.RecordRoundAsync(Round("t", 2, ["a", "b", "d"], ["a"], [], [new("d", "signature does not verify")], leftOut: ["b"]), default); // redelivered

        Assert.Equal(new ClientParticipation("a", Selected: 2, Contributed: 2), ledger.Of("a"));
        Assert.Equal(new ClientParticipation("b", Selected: 2, Contributed: 1), ledger.Of("b")); // left out by the strategy in round 2
        Assert.Equal(new ClientParticipation("c", Selected: 1, Dropped: 1), ledger.Of("c"));
        var d = ledger.Of("d");
        Assert.Equal((2, 0, 2), (d.Selected, d.Contributed, d.Rejected));
        Assert.Equal("signature does not verify", d.LastRejection);
        Assert.Equal("task t round 2", d.LastRejectedWhere);
        Assert.Equal(At.AddMinutes(2), d.LastRejectedAt);
        Assert.Equal(new ClientParticipation("never"), ledger.Of("never"));
    }

    [Fact]
    public async Task A_refused_registration_is_a_rejection_in_the_registry_and_a_restarted_ledger_keeps_every_count()
    {
        var store = new InMemoryStateStore();
        var ledger = new ParticipationLedger(new RegistryStore(store));
        await ledger.RecordRoundAsync(Round("t", 1, ["a", "b"], ["a", "b"], [], []), default);
        await ledger.RecordRefusalAsync(new ClientRejected("b", "key differs from the one bound to client 'b'", At), default);

        var restarted = new ParticipationLedger(new RegistryStore(store));
        await restarted.RestoreAsync(default);
        Assert.Equal(new ClientParticipation("a", Selected: 1, Contributed: 1), restarted.Of("a"));
        Assert.Equal(new ClientParticipation("b", 1, 1, 0, 1, "key differs from the one bound to client 'b'", "registry", At), restarted.Of("b"));
        await restarted.RecordRoundAsync(Round("t", 1, ["a", "b"], ["a", "b"], [], []), default); // counted before the restart
        Assert.Equal(1, restarted.Of("a").Selected);
    }
}
