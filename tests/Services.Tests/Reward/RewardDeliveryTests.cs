using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Reward;
using FlMicroservices.Reward.Consumers;
using MassTransit;
using FlMicroservices.Testing;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Services.Tests.Reward;

/// <summary>RewardsIssued goes out once per round, and tokens are credited once, when publishing fails between the credit and the publish.</summary>
public sealed class RewardDeliveryTests
{
    [Fact]
    public async Task A_publish_that_fails_after_the_credit_is_retried_without_paying_twice_and_the_event_goes_out_once()
    {
        var ledger = new TokenLedger();
        await using var provider = new ServiceCollection()
            .AddSingleton(ledger)
            .AddSingleton(Options.Create(new RewardOptions { TokensPerRound = 100m }))
            .AddSingleton(CommandSigning.Off())
            .AddMassTransitTestHarness(x => x.SetLoadedMachineTimeouts().AddConsumer<RoundCompletedConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var failures = new FailingPublishes(nameof(RewardsIssued), times: 1);
        using var observer = harness.Bus.ConnectPublishObserver(failures);
        var completed = new RoundCompleted("task-r", 3, 3, true, false, 0.9, 0.3, ["a", "b"],
            [new Contribution("a", 100, 1, 0.5), new Contribution("b", 300, 1, 0.4)], [], [], null, DateTimeOffset.UtcNow);

        // First delivery: tokens credited, then the publish fails (the consumer faults); the broker delivers again, twice.
        for (var delivery = 1; delivery <= 3; delivery++)
        {
            await harness.Bus.Publish(completed);
            await Eventually.TrueAsync(() => harness.Consumed.Select<RoundCompleted>().Count() >= delivery, TimeSpan.FromSeconds(30), $"delivery {delivery} to be consumed");
        }

        await Eventually.TrueAsync(() => harness.Published.Select<RewardsIssued>().Any(), TimeSpan.FromSeconds(30), "RewardsIssued");
        await Task.Delay(500); // a second copy, if any, would be published by now
        var issued = Assert.Single(harness.Published.Select<RewardsIssued>());
        Assert.Equal(EventIds.For(nameof(RewardsIssued), "task-r", 3), issued.Context.MessageId);
        Assert.Equal(1, failures.Failed);
        Assert.Equal(25m, ledger.BalanceOf("a"));
        Assert.Equal(75m, ledger.BalanceOf("b"));
        Assert.Equal([25m, 75m], issued.Context.Message.Rewards.Select(r => r.Balance));
        Assert.True(harness.Consumed.Select<RoundCompleted>().First().Exception is not null, "the first delivery should have faulted on the failed publish");
    }
}
