using System.Security.Cryptography;
using FlMicroservices.Aggregation;
using FlMicroservices.Aggregation.Consumers;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Security;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.UpdateStream;
using FlMicroservices.Testing;
using FlMicroservices.Testing.Aggregation;
using MassTransit;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>
/// Aggregation sharded by slice over several instances, each reading the update stream in its own consumer group and
/// folding only its slices, talking through the message bus: the coordinator publishes exactly the model one instance
/// would, rejected clients are taken out on every shard, and a silent shard fails the round with a reason. The shards sign
/// what they send one another with the aggregation's key, and refuse what it did not sign.
/// </summary>
public sealed class ShardedAggregationTests : IAsyncDisposable
{
    private const int Parameters = 3_000;
    private const int SliceElements = 256; // 12 slices
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-shards-" + Guid.NewGuid().ToString("N"));
    private readonly List<AggregationInstance> _shards = [];
    private readonly List<CommandSigning> _signing = [];
    private readonly RecordedLogs _logs = new();
    private readonly CommandSigning _selector;
    private readonly int[] _reportsConsumed = new int[3]; // per shard: the ShardRoundReported its consumer has finished with
    private HarnessHost? _bus;

    // The selector's signature on RoundStarted, which the shards check before they open a round.
    public ShardedAggregationTests() => _selector = CommandSigning.For(Accounts, BrokerAccounts.Selector);

    [Theory]
    [InlineData("fedavg", 2, false)]
    [InlineData("fedadam", 3, false)]
    [InlineData("median", 2, false)]
    [InlineData("trimmed-mean", 3, true)]
    [InlineData("krum", 2, false)]
    [InlineData("multi-krum", 3, true)]
    [InlineData("bulyan", 2, true)]
    [InlineData("fedavg", 3, true)]
    public async Task Shards_publish_exactly_the_single_instance_model(string strategy, int shardCount, bool withRejectedClient)
    {
        var (models, started, updates, manifests, global) = await ArrangeAsync(strategy, clients: 8);
        if (withRejectedClient)
        {
            // c3's slice 7 holds a NaN: only the shard holding slice 7 sees it; every shard takes c3's slices back out.
            var values = updates[3].Slices[7].AsFloats().ToArray();
            values[5] = float.NaN;
            updates[3].Slices[7] = updates[3].Slices[7] with { Payload = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray() };
        }
        var stream = new InProcessUpdateStream(partitionCount: 4);
        foreach (var u in updates) foreach (var slice in u.Slices) await stream.ProduceAsync(slice, CancellationToken.None);
        await StartShardsAsync(models, stream, shardCount, TimeSpan.FromSeconds(30));

        foreach (var shard in _shards) await shard.Opener.OpenAsync(_selector.Sign(started), CancellationToken.None);
        foreach (var shard in _shards) foreach (var m in manifests) await shard.Router.OnManifestAsync(m, CancellationToken.None);
        var aggregated = await _bus!.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        var expected = SingleInstance(started, withRejectedClient ? updates.Where(u => u.Client != "c3") : updates, global);
        Assert.Equal(expected, await models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None));
        if (withRejectedClient)
        {
            var rejected = Assert.Single(aggregated.Rejected);
            Assert.Equal("c3", rejected.ClientId);
            Assert.Contains("NaN", rejected.Reason);
            Assert.Equal(7, aggregated.Contributors.Length);
        }
        else Assert.Equal(8, aggregated.Contributors.Length);
        // Norms are of whole updates, summed from the shards' parts.
        var c0 = aggregated.Contributors.Single(c => c.ClientId == "c0");
        Assert.Equal(Norm(updates[0].Slices), c0.UpdateNorm, 9);
        Assert.Equal(1, _bus.PublishedCount<RoundAggregated>()); // one per round
    }

    [Fact]
    public async Task A_shard_that_never_reports_fails_the_round_with_its_number()
    {
        var (models, started, updates, manifests, _) = await ArrangeAsync("fedavg", clients: 3);
        var stream = new InProcessUpdateStream(partitionCount: 2);
        foreach (var u in updates) foreach (var slice in u.Slices) await stream.ProduceAsync(slice, CancellationToken.None);
        await StartShardsAsync(models, stream, shardCount: 2, TimeSpan.FromSeconds(1), onlyFirst: true);

        await _shards[0].Opener.OpenAsync(_selector.Sign(started), CancellationToken.None);
        foreach (var m in manifests) await _shards[0].Router.OnManifestAsync(m, CancellationToken.None);
        var aggregated = await _bus!.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(30));

        Assert.False(aggregated.Succeeded);
        Assert.Contains("shard(s) 1 did not report", aggregated.FailureReason);
        Assert.Null(aggregated.AggregateRef);
    }

    [Fact]
    public async Task Norm_bounding_is_refused_when_sharded_with_a_reason()
    {
        var (models, started, updates, manifests, _) = await ArrangeAsync("fedavg", clients: 3);
        started = started with { StrategyParameters = new Dictionary<string, string> { ["max-norm"] = "1" } };
        var stream = new InProcessUpdateStream(partitionCount: 2);
        foreach (var u in updates) foreach (var slice in u.Slices) await stream.ProduceAsync(slice, CancellationToken.None);
        await StartShardsAsync(models, stream, shardCount: 2, TimeSpan.FromSeconds(30));
        foreach (var shard in _shards) await shard.Opener.OpenAsync(_selector.Sign(started), CancellationToken.None);
        foreach (var shard in _shards) foreach (var m in manifests) await shard.Router.OnManifestAsync(m, CancellationToken.None);

        var aggregated = await _bus!.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(30));
        Assert.False(aggregated.Succeeded);
        Assert.Contains("ShardCount", aggregated.FailureReason);
    }

    [Fact]
    public async Task Forged_shard_reports_are_refused_and_the_round_ends_as_it_would_without_them()
    {
        var (models, started, updates, manifests, global) = await ArrangeAsync("fedavg", clients: 8);
        var stream = new InProcessUpdateStream(partitionCount: 2);
        foreach (var u in updates) foreach (var slice in u.Slices) await stream.ProduceAsync(slice, CancellationToken.None);
        await StartShardsAsync(models, stream, shardCount: 2, TimeSpan.FromSeconds(30));
        using (CommandSigning.For(Accounts, BrokerAccounts.Registry)) { } // writes another service's key pair
        using var registrysKey = PrivateKey(BrokerAccounts.Registry);
        using var impostor = CommandSigning.For(Path.Combine(_root, "impostor"), BrokerAccounts.Aggregation); // the aggregation's name, a key of its own

        // Shard 1's part of the round as a forger reports it: every client but c0 rejected, nothing folded.
        var forged = new ShardRoundReported("t", 1, 1, 2, [.. updates.Select(u => new ShardClientState(u.Client, [], [], 0, u.Client == "c0" ? null : "forged"))],
            null, null);
        var byRegistry = SignedCommands.Of<ShardRoundReported>().WithSignature(forged, Convert.ToBase64String(registrysKey.Sign(CommandSigning.Statement(forged))));
        foreach (var report in new[] { forged, byRegistry, impostor.Sign(forged) }) await _bus!.Bus.Publish(report);
        // The coordinator closes its part first: had it taken a forged report for shard 1, it would decide the round on it now.
        await _shards[0].Opener.OpenAsync(_selector.Sign(started), CancellationToken.None);
        foreach (var m in manifests) await _shards[0].Router.OnManifestAsync(m, CancellationToken.None);
        await Eventually.TrueAsync(() => Volatile.Read(ref _reportsConsumed[0]) == 4, TimeSpan.FromSeconds(30),
            "the three forgeries and the coordinator's own report consumed by the coordinator");
        await _shards[1].Opener.OpenAsync(_selector.Sign(started), CancellationToken.None);
        foreach (var m in manifests) await _shards[1].Router.OnManifestAsync(m, CancellationToken.None);
        var aggregated = await _bus!.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        Assert.Empty(aggregated.Rejected);
        Assert.Equal(8, aggregated.Contributors.Length);
        Assert.Equal(SingleInstance(started, updates, global), await models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None));
        // Each shard refused each forgery: the unsigned one, and the two signed with another key.
        const string Refused = "Refused ShardRoundReported t/1 from shard 1: ";
        var refusals = _logs.Entries.Where(e => e.StartsWith("Refused ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(6, refusals.Length);
        Assert.Equal(2, refusals.Count(e => e == Refused + "ShardRoundReported carries no signature of fl-aggregation, which issues it"));
        Assert.Equal(4, refusals.Count(e =>
            e == Refused + "ShardRoundReported's signature does not verify against the key of fl-aggregation: it was altered or signed by another key"));
    }

    [Fact]
    public void A_shard_index_outside_the_count_is_refused_naming_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            FlMicroservices.Infrastructure.OptionsValidation.ThrowIfInvalid(new AggregationOptions { ShardCount = 2, ShardIndex = 2 }, AggregationOptions.Section));
        Assert.Contains("Aggregation:ShardIndex", error.Message);
    }

    private async Task StartShardsAsync(IModelStore models, InProcessUpdateStream stream, int shardCount, TimeSpan timeout, bool onlyFirst = false)
    {
        var count = onlyFirst ? 1 : shardCount;
        // One bus for all shards, as a broker would be; each shard's endpoint hands the shard messages to that instance.
        _bus = await HarnessHost.StartAsync(endpoints: cfg =>
        {
            for (var k = 0; k < count; k++)
            {
                var index = k;
                cfg.ReceiveEndpoint($"shard-{k}", e =>
                {
                    e.Consumer(() => new Counted<ShardRoundReported>(_shards[index].Consumer<ShardRoundReportedConsumer>(),
                        () => Interlocked.Increment(ref _reportsConsumed[index])));
                    e.Consumer(() => _shards[index].Consumer<ShardRoundDecidedConsumer>());
                    e.Consumer(() => _shards[index].Consumer<ShardRoundFinishedConsumer>());
                });
            }
        });
        for (var k = 0; k < count; k++)
        {
            var options = new AggregationOptions { ShardCount = shardCount, ShardIndex = k, ShardTimeout = timeout, CheckpointDirectory = "" };
            // Every shard signs with the aggregation's key (one key file, as every instance of the account mounts it).
            _signing.Add(CommandSigning.For(Accounts, BrokerAccounts.Aggregation));
            var shard = await AggregationInstance.StartAsync(_bus.Bus, models, options, stream, _signing[^1], _logs);
            _shards.Add(shard);
            await shard.StartIngestionAsync();
        }
    }

    private async Task<(FileModelStore, RoundStarted, List<(string Client, List<UpdateSlice> Slices, int Examples)>, List<UpdateSubmitted>, float[])> ArrangeAsync(string strategy, int clients)
    {
        var models = new FileModelStore(Path.Combine(_root, "models"));
        var rng = new Random(strategy.Length + clients);
        var global = Enumerable.Range(0, Parameters).Select(_ => (float)rng.NextDouble()).ToArray();
        await models.SaveVersionAsync(new ModelVersionInfo("t", 0, 0, null, Parameters, "", null, null, false, DateTimeOffset.UtcNow), global, CancellationToken.None);
        var updates = Enumerable.Range(0, clients).Select(c =>
        {
            var scale = c == 6 ? 3f : 0.1f; // one outlier for the robust strategies to leave out
            var delta = Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() - 0.5) * scale).ToArray();
            return (Client: $"c{c}", Slices: UpdateSliceCodec.Slice("t", 1, $"c{c}", delta, 4 + c, SliceElements).ToList(), Examples: 4 + c);
        }).ToList();
        var parameters = strategy switch
        {
            "krum" or "multi-krum" or "bulyan" => new Dictionary<string, string> { ["f"] = "1" },
            "trimmed-mean" => new() { ["beta"] = "0.2" },
            _ => [],
        };
        var started = new RoundStarted("t", 1, 0, updates.Select(u => u.Client).ToArray(), DateTimeOffset.UtcNow.AddMinutes(5),
            new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, SliceElements, "logreg", strategy, parameters, 0.5, 1);
        var manifests = updates.Select(u => new UpdateSubmitted("t", 1, u.Client, u.Examples, u.Slices.Count, Parameters,
            UpdateDigest.Of(u.Slices), null, new LocalMetrics(0.5, 1, 1))).ToList();
        return (models, started, updates, manifests, global);
    }

    private static float[] SingleInstance(RoundStarted started, IEnumerable<(string Client, List<UpdateSlice> Slices, int Examples)> updates, float[] global)
    {
        var round = new RoundAggregation(started, Parameters, StrategyCatalog.Create(started.Strategy, started.StrategyParameters));
        foreach (var (client, slices, examples) in updates)
        {
            foreach (var slice in slices) Assert.Equal(SliceOutcome.Folded, round.Fold(slice));
            round.AcceptManifest(new UpdateSubmitted("t", 1, client, examples, slices.Count, Parameters, UpdateDigest.Of(slices), null, new LocalMetrics(0.5, 1, 1)));
        }
        var result = new float[Parameters];
        Assert.True(round.Close(global, result).Succeeded);
        return result;
    }

    private string Accounts => Path.Combine(_root, "accounts");

    // A shard's consumer that counts the messages it has finished with.
    private sealed class Counted<T>(IConsumer<T> consumer, Action finished) : IConsumer<T> where T : class
    {
        public async Task Consume(ConsumeContext<T> context)
        {
            await consumer.Consume(context);
            finished();
        }
    }

    // A service's key as the service holds it (NAME.command-key, PKCS#8 PEM).
    private EcdsaP256KeyPair PrivateKey(BrokerAccount account)
    {
        var pem = File.ReadAllText(Path.Combine(Accounts, account.Name + ".command-key"));
        return EcdsaP256KeyPair.Import(Convert.FromBase64String(pem[PemEncoding.Find(pem).Base64Data]));
    }

    private static double Norm(IEnumerable<UpdateSlice> slices) =>
        Math.Sqrt(slices.OrderBy(s => s.SliceIndex).Sum(s => WeightedSliceSums.SumOfSquares(s.AsFloats())));

    public async ValueTask DisposeAsync()
    {
        foreach (var shard in _shards) await shard.DisposeAsync();
        if (_bus is not null) await _bus.DisposeAsync();
        foreach (var signing in _signing) signing.Dispose();
        _selector.Dispose();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
