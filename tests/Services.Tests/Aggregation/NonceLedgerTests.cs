using FlMicroservices.Aggregation;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>The stored signature nonces stay bounded: a task's older rounds expire, and a client keeps at most <see cref="NonceLedger.PerClient"/>.</summary>
public sealed class NonceLedgerTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static async Task UseAsync(NonceLedger ledger, string client, string task, int round, string nonce)
    {
        Assert.True(await ledger.TryClaimAsync(client, nonce, None));
        await ledger.RecordAsync(client, task, round, nonce, None);
    }

    [Fact]
    public async Task A_tasks_nonces_older_than_its_previous_round_expire()
    {
        var store = new InMemoryStateStore();
        var ledger = new NonceLedger(store);
        await UseAsync(ledger, "c0", "t", 1, "n1");
        await UseAsync(ledger, "c0", "u", 1, "u1");
        await UseAsync(ledger, "c0", "t", 2, "n2");
        await UseAsync(ledger, "c0", "t", 3, "n3");

        var restarted = new NonceLedger(store);

        Assert.True(await restarted.TryClaimAsync("c0", "n1", None)); // round 1 of t cannot verify again in round 3
        Assert.False(await restarted.TryClaimAsync("c0", "n2", None));
        Assert.False(await restarted.TryClaimAsync("c0", "n3", None));
        Assert.False(await restarted.TryClaimAsync("c0", "u1", None)); // another task's round is not expired by t's
        var stored = Assert.Single(await store.ListAsync<UsedNonces>(NonceLedger.DefaultKind, None));
        Assert.Equal(["u1", "n2", "n3"], stored.Nonces.Select(n => n.Nonce));
    }

    [Fact]
    public async Task A_client_keeps_at_most_its_64_latest_nonces()
    {
        var store = new InMemoryStateStore();
        var ledger = new NonceLedger(store);
        for (var task = 0; task < NonceLedger.PerClient + 2; task++) await UseAsync(ledger, "c0", $"t{task}", 1, $"n{task}");

        var restarted = new NonceLedger(store);

        Assert.Equal(64, NonceLedger.PerClient);
        Assert.Equal(NonceLedger.PerClient, Assert.Single(await store.ListAsync<UsedNonces>(NonceLedger.DefaultKind, None)).Nonces.Count);
        Assert.True(await restarted.TryClaimAsync("c0", "n0", None));
        Assert.True(await restarted.TryClaimAsync("c0", "n1", None));
        Assert.False(await restarted.TryClaimAsync("c0", "n2", None));
        Assert.False(await restarted.TryClaimAsync("c0", $"n{NonceLedger.PerClient + 1}", None));
    }

    [Fact]
    public async Task A_nonce_is_claimed_once_and_stored_only_when_claimed()
    {
        var store = new InMemoryStateStore();
        var ledger = new NonceLedger(store);

        Assert.True(await ledger.TryClaimAsync("c0", "n", None));
        Assert.False(await ledger.TryClaimAsync("c0", "n", None)); // claimed, not yet stored: still used in this process
        Assert.True(await ledger.TryClaimAsync("c1", "n", None)); // nonces are per client
        await ledger.RecordAsync("c2", "t", 1, "n", None); // never claimed (its manifest did not verify): nothing stored

        Assert.Empty(await store.ListAsync<UsedNonces>(NonceLedger.DefaultKind, None));
    }
}
