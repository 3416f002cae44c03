using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Aggregation.Robust;
using FlMicroservices.Reward;
using FlMicroservices.Reward.Consumers;
using MassTransit;
using MassTransit.Testing;
using FlMicroservices.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>Clients a selecting strategy leaves out of the aggregate are marked so, and the reward service does not pay them.</summary>
public sealed class SelectedContributorTests
{
    private static RoundStarted Started(string strategy, int clients) => new("t", 1, 0, Enumerable.Range(0, clients).Select(c => $"c{c}").ToArray(),
        DateTimeOffset.UtcNow.AddMinutes(5), new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, 4, "logreg", strategy, [], 0.5, 1);

    private static RoundOutcome Close(IAggregationStrategy strategy, int clients, int outliers)
    {
        var round = new RoundAggregation(Started(strategy.Name, clients), 8, strategy, groupSize: 1);
        var rng = new Random(5);
        for (var c = 0; c < clients; c++)
        {
            var scale = c < outliers ? 50f : 0.1f; // the first clients send updates far from the rest
            var delta = Enumerable.Range(0, 8).Select(_ => (float)(rng.NextDouble() - 0.5) * scale).ToArray();
            var slices = UpdateSliceCodec.Slice("t", 1, $"c{c}", delta, 10 + c, 4).ToList();
            foreach (var slice in slices) round.Fold(slice);
            round.AcceptManifest(new UpdateSubmitted("t", 1, $"c{c}", 10 + c, slices.Count, 8, UpdateDigest.Of(slices), null, new LocalMetrics(0.5, 1, 1)));
        }
        return round.Close(new float[8], new float[8]);
    }

    [Fact]
    public void Krum_marks_every_client_but_the_one_it_selects_as_not_aggregated()
    {
        var outcome = Close(new Krum(1), clients: 6, outliers: 1);

        Assert.True(outcome.Succeeded);
        Assert.Equal(6, outcome.Contributors.Count);
        var aggregated = Assert.Single(outcome.Contributors, c => c.Aggregated);
        Assert.NotEqual("c0", aggregated.ClientId);
        Assert.False(outcome.Contributors.Single(c => c.ClientId == "c0").Aggregated);
    }

    [Fact]
    public void Multi_krum_leaves_out_the_outliers_and_fedavg_aggregates_everyone()
    {
        var multi = Close(new MultiKrum(2, m: 4), clients: 7, outliers: 2);
        Assert.Equal(7, multi.Contributors.Count);
        Assert.Equal(4, multi.Contributors.Count(c => c.Aggregated));
        Assert.All(multi.Contributors.Where(c => c.ClientId is "c0" or "c1"), c => Assert.False(c.Aggregated));

        Assert.All(Close(new FedAvg(), clients: 4, outliers: 1).Contributors, c => Assert.True(c.Aggregated));
    }

    [Fact]
    public async Task The_reward_service_pays_only_the_aggregated_contributors()
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

        await harness.Bus.Publish(new RoundCompleted("t", 1, 1, true, false, 0.9, 0.3, ["a", "b", "byz"],
            [new Contribution("a", 100, 1, 0.5), new Contribution("b", 300, 1, 0.4), new Contribution("byz", 600, 9, 0.1, Aggregated: false)],
            [], [], null, DateTimeOffset.UtcNow));

        await Eventually.TrueAsync(() => harness.Published.Select<RewardsIssued>().Any(), TimeSpan.FromSeconds(30), "RewardsIssued");
        var issued = harness.Published.Select<RewardsIssued>().Single().Context.Message;
        Assert.Equal(["a", "b"], issued.Rewards.Select(r => r.ClientId));
        Assert.Equal(25m, ledger.BalanceOf("a"));
        Assert.Equal(75m, ledger.BalanceOf("b"));
        Assert.Equal(0m, ledger.BalanceOf("byz"));
    }
}
