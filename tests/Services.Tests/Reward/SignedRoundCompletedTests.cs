using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Reward;
using FlMicroservices.Reward.Consumers;
using FlMicroservices.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Services.Tests.Reward;

/// <summary>With signed commands on, the reward service pays only for a RoundCompleted the model registry signed, and signs its RewardsIssued.</summary>
public sealed class SignedRoundCompletedTests : IDisposable
{
    private readonly string _accounts = Path.Combine(Path.GetTempPath(), "fl-reward-signed-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_accounts)) Directory.Delete(_accounts, recursive: true);
    }

    private static RoundCompleted Round(int round, string client) => new("task-r", round, round, true, false, 0.9, 0.3, [client],
        [new Contribution(client, 100, 1, 0.5)], [], [], null, DateTimeOffset.UtcNow);

    [Fact]
    public async Task An_unsigned_altered_or_foreign_signed_RoundCompleted_pays_nothing_and_a_signed_one_pays_with_signed_RewardsIssued()
    {
        using var modelRegistry = CommandSigning.For(_accounts, BrokerAccounts.ModelRegistry); // writes the model registry's key pair
        using var impostor = CommandSigning.For(Path.Combine(_accounts, "impostor"), BrokerAccounts.ModelRegistry);
        using var reader = CommandSigning.For(_accounts, BrokerAccounts.Dashboard);
        var ledger = new TokenLedger();
        await using var provider = new ServiceCollection()
            .AddSingleton(ledger)
            .AddSingleton(Options.Create(new RewardOptions { TokensPerRound = 100m }))
            .AddSingleton(CommandSigning.For(_accounts, BrokerAccounts.Reward))
            .AddMassTransitTestHarness(x => x.SetLoadedMachineTimeouts().AddConsumer<RoundCompletedConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await harness.Bus.Publish(Round(1, "ghost-unsigned"));
        await harness.Bus.Publish(impostor.Sign(Round(2, "ghost-foreign")));
        var genuine = modelRegistry.Sign(Round(3, "victim"));
        await harness.Bus.Publish(genuine with { Contributors = [new Contribution("ghost-altered", 100, 1, 0.5)] });
        await harness.Bus.Publish(genuine);

        await Eventually.TrueAsync(() => harness.Published.Select<RewardsIssued>().Any(), TimeSpan.FromSeconds(30), "RewardsIssued");
        await Eventually.TrueAsync(() => harness.Consumed.Select<RoundCompleted>().Count() == 4, TimeSpan.FromSeconds(30), "all four consumed");
        var issued = Assert.Single(harness.Published.Select<RewardsIssued>()).Context.Message;
        Assert.Equal(3, issued.Round);
        Assert.Null(reader.Problem(issued));
        Assert.Equal("RewardsIssued's signature does not verify against the key of fl-reward: it was altered or signed by another key",
            reader.Problem(issued with { Rewards = [issued.Rewards[0] with { ClientId = "ghost-altered" }] }));
        Assert.Equal(100m, ledger.BalanceOf("victim"));
        Assert.All(["ghost-unsigned", "ghost-foreign", "ghost-altered"], ghost => Assert.Equal(0m, ledger.BalanceOf(ghost)));
    }
}
