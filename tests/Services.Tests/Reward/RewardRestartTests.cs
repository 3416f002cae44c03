using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Reward;
using FlMicroservices.Testing;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Services.Tests.Reward;

/// <summary>The reward service keeps its ledger in its SQLite file: a restarted service continues every balance and pays no round twice.</summary>
public sealed class RewardRestartTests : IDisposable
{
    private readonly StateFolder _state = new();

    public void Dispose() => _state.Dispose();

    private Task<HarnessHost> StartAsync() =>
        _state.StartAsync(services => services.AddRewardService(_state.Configuration(("Reward:TokensPerRound", "100"))), bus => bus.AddRewardConsumers());

    private static RoundCompleted Round(int round, int aExamples, int bExamples) =>
        new("task-r", round, round, true, false, 0.9, 0.3, ["a", "b"],
            [new Contribution("a", aExamples, 1, 0.5), new Contribution("b", bExamples, 1, 0.4)], [], [], null, DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_restarted_reward_service_continues_the_balances_and_does_not_pay_a_round_twice()
    {
        await using (var first = await StartAsync())
        {
            await first.Bus.Publish(Round(1, 3947, 6053));
            Assert.Equal([39.47m, 60.53m], (await first.NextPublishedAsync<RewardsIssued>(TimeSpan.FromSeconds(30))).Rewards.Select(r => r.Balance));
        } // the process ends

        await using var host = await StartAsync();
        var ledger = host.Services.GetRequiredService<TokenLedger>();
        await ledger.RestoreAsync(CancellationToken.None);
        Assert.Equal(39.47m, ledger.BalanceOf("a"));
        Assert.True(ledger.IsAnnounced("task-r", 1));

        await host.Bus.Publish(Round(1, 3947, 6053)); // redelivered after the restart: nothing paid, nothing published
        await host.Bus.Publish(Round(2, 221, 9779));
        var second = await host.NextPublishedAsync<RewardsIssued>(TimeSpan.FromSeconds(30));

        Assert.Equal(2, second.Round);
        Assert.Equal([2.21m, 97.79m], second.Rewards.Select(r => r.Tokens));
        Assert.Equal([41.68m, 158.32m], second.Rewards.Select(r => r.Balance)); // not 2.21: the balance survived
        Assert.Equal(41.68m, ledger.BalanceOf("a"));
        await Eventually.TrueAsync(() => host.Harness.Consumed.Select<RoundCompleted>().Count() == 2, TimeSpan.FromSeconds(30), "both deliveries consumed");
        Assert.Equal(1, host.PublishedCount<RewardsIssued>());
        Assert.True(File.Exists(_state.FileOf("reward")));
    }

    [Fact]
    public async Task A_round_paid_but_not_announced_before_the_restart_is_announced_with_the_first_rewards()
    {
        using (var store = new SqliteStateStore(_state.FileOf("reward")))
        {
            var ledger = new TokenLedger(new LedgerStore(store));
            await ledger.PayOnceAsync("task-r", 1, [("a", 0.3947, 39.47m), ("b", 0.6053, 60.53m)], CancellationToken.None); // then the process died
        }

        await using var host = await StartAsync();
        await host.Bus.Publish(Round(1, 1, 1)); // a different split now would pay 50/50: the stored rewards win

        Assert.Equal([39.47m, 60.53m], (await host.NextPublishedAsync<RewardsIssued>(TimeSpan.FromSeconds(30))).Rewards.Select(r => r.Tokens));
        var restored = host.Services.GetRequiredService<TokenLedger>();
        Assert.Equal(39.47m, restored.BalanceOf("a"));
        await Eventually.TrueAsync(() => restored.IsAnnounced("task-r", 1), TimeSpan.FromSeconds(30), "the round announced");
    }
}
