using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Infrastructure.Tests.State;

/// <summary>What every <see cref="IStateStore"/> backend must do; each backend's test class runs these against a real store.</summary>
public static class StateStoreContract
{
    public sealed record Account(string Id, decimal Balance, int[] Rounds, DateTimeOffset At, double? Accuracy);

    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset At = new(2030, 5, 6, 7, 8, 9, TimeSpan.FromHours(2));

    /// <summary>Documents come back equal (a decimal balance exact), replaced by key, listed in key order, kept apart by kind.</summary>
    public static async Task Documents_round_trip_and_replace_by_key(IStateStore store)
    {
        await store.PutAsync("accounts", "b", new Account("b", 2.21m, [1], At, null), None);
        await store.PutAsync("accounts", "a", new Account("a", 1m, [], At, 0.5), None);
        await store.PutAsync("accounts", "b", new Account("b", 39.47m, [1, 2, 3], At, 0.9125), None);
        await store.PutAsync("other", "a", new Account("x", 7m, [], At, null), None);

        var all = await store.ListAsync<Account>("accounts", None);
        Assert.Equal(["a", "b"], all.Select(a => a.Id));
        var b = await store.GetAsync<Account>("accounts", "b", None);
        Assert.NotNull(b);
        Assert.Equal(39.47m, b.Balance);
        Assert.Equal([1, 2, 3], b.Rounds);
        Assert.Equal(At, b.At);
        Assert.Equal(TimeSpan.FromHours(2), b.At.Offset);
        Assert.Equal(0.9125, b.Accuracy);
        Assert.Null(await store.GetAsync<Account>("accounts", "c", None));
        Assert.Equal("x", Assert.Single(await store.ListAsync<Account>("other", None)).Id);
        Assert.Empty(await store.ListAsync<Account>("none", None));
    }

    /// <summary>What one instance wrote, a new instance over the same backend reads (a restarted service).</summary>
    public static async Task A_new_instance_reads_what_the_last_one_wrote(Func<IStateStore> open)
    {
        var first = open();
        for (var round = 1; round <= 50; round++) await first.PutAsync("rounds", $"t/{round:D9}", new Account($"r{round}", round * 0.01m, [round], At, null), None);
        (first as IDisposable)?.Dispose();

        var second = open();
        var rounds = await second.ListAsync<Account>("rounds", None);
        Assert.Equal(50, rounds.Count);
        Assert.Equal(12.75m, rounds.Sum(r => r.Balance));
        Assert.Equal("r50", rounds[^1].Id);
        (second as IDisposable)?.Dispose();
    }
}
