using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.UpdateStream;
using FlMicroservices.ModelRegistry;
using FlMicroservices.Node;
using FlMicroservices.Node.Edge;
using FlMicroservices.Simulation;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FlMicroservices.Edge.Tests;

/// <summary>Whole tasks where the node reaches the platform only through the edge: no broker, stream or store of its own.</summary>
public sealed class EdgeRoundTests(ITestOutputHelper output) : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fl-edge-round-" + Guid.NewGuid().ToString("N"));

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>The privacy settings of each variant: plain (also compressed: q8 with zstd, top-k), secure aggregation (SecAgg), and DP-FedAvg (central DP, fixed clip: its defaults).</summary>
    private static PrivacyConfig PrivacyOf(string variant) => variant switch
    {
        "plain" or "q8+zstd" or "topk:0.1" => PrivacyConfig.None,
        "secagg" => PrivacyConfig.None with { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationClip = 0.05 },
        "dp" => new PrivacyConfig(true, NoiseMultiplier: 1.0, ClippingNorm: 1.0, EpsilonBudget: 50, Delta: 1e-5),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "plain, secagg or dp"),
    };

    [Theory]
    [InlineData("plain")]
    [InlineData("secagg")]
    [InlineData("dp")]
    [InlineData("q8+zstd")]
    [InlineData("topk:0.1")]
    public async Task A_node_behind_the_edge_enrols_registers_trains_and_uploads_every_round(string variant)
    {
        var privacy = PrivacyOf(variant);
        var compression = variant.StartsWith("q8", StringComparison.Ordinal) || variant.StartsWith("topk", StringComparison.Ordinal) ? variant : "none";
        var secure = privacy.SecureAggregation;
        var options = new SimulationOptions { Dataset = "synthetic", Clients = 4, Seed = 3, OutDir = _folder };
        Training.TorchRuntime.EnsureInitialized(1);
        var data = options.LoadData();
        var clients = VirtualClients.Create(data, options);
        var events = new EventLog();
        await using var edge = await StartEdgeAsync(events, data.Test);
        var token = await edge.IssueTokenAsync(clients.Length);
        using var node = BuildNode(edge, token, clients);
        await node.StartAsync();
        try
        {
            await WaitForAsync(events, m => m is ClientRegistered, clients.Length, TimeSpan.FromSeconds(90));
            Assert.IsType<EdgeUploads>(node.Services.GetRequiredService<IUpdateStreamProducer>()); // the node writes nowhere but the edge
            var taskId = $"edge-{variant.Replace('+', '-').Replace(':', '-').Replace('.', '-')}";
            var spec = new TaskSpec
            {
                ModelName = "logreg",
                SampleShape = data.Test.Shape,
                ClassCount = data.Test.ClassCount,
                Rounds = 2,
                ClientFraction = 1.0,
                MinClientsPerRound = 3,
                RoundTimeout = TimeSpan.FromSeconds(90),
                Training = new TrainingConfig(1, 10, 0.05),
                Privacy = privacy,
                SliceElements = 128,
                Seed = 3,
                Compression = compression,
            };
            await edge.Services.GetRequiredService<IBus>().Publish(new CreateTask(taskId, spec));
            await WaitForAsync(events, m => m is TaskCompleted t && t.TaskId == taskId || m is TaskRejected r && r.TaskId == taskId, 1, TimeSpan.FromMinutes(4));

            var log = events.All.Select(e => e.Message).ToList();
            Assert.Empty(log.OfType<TaskRejected>());
            var completed = log.OfType<RoundCompleted>().Where(c => c.TaskId == taskId).OrderBy(c => c.Round).ToList();
            foreach (var round in completed)
                output.WriteLine($"round {round.Round}: succeeded {round.Succeeded}, contributors {round.Contributors.Length}");
            Assert.Equal([1, 2], completed.Select(c => c.Round));
            Assert.All(completed, c => Assert.True(c.Succeeded));
            var aggregated = log.OfType<RoundAggregated>().Where(a => a.TaskId == taskId).ToList();
            Assert.All(aggregated, a => Assert.Equal(clients.Length, a.Contributors.Length));
            // Plain rounds: every manifest came through the edge; secure rounds: none in the clear (masked inputs only).
            Assert.Equal(secure == SecureAggregationMode.None ? 2 * clients.Length : 0, log.OfType<UpdateSubmitted>().Count(u => u.TaskId == taskId));
            // Signed by default (TaskSpec.Signing): the edge forwards each client's signature and nonce, and the aggregation accepted them all.
            Assert.All(log.OfType<UpdateSubmitted>().Where(u => u.TaskId == taskId), u =>
            {
                Assert.Equal(SigningAlgorithms.EcdsaP256, u.SignatureAlgorithm);
                Assert.False(string.IsNullOrEmpty(u.Signature), $"{u.ClientId}'s update of round {u.Round} is unsigned");
                Assert.False(string.IsNullOrEmpty(u.Nonce), $"{u.ClientId}'s update of round {u.Round} has no nonce");
            });
            Assert.Empty(edge.Services.GetRequiredService<Enrolments>().Refusals);
            if (compression != "none")
            {
                // Compressed slices went through the edge as they came: the round asked for the coding, and each client's bytes are
                // well under its float32 update (610 values: 2,440 bytes a client a round before the slices' headers).
                Assert.All(log.OfType<RoundStarted>().Where(r => r.TaskId == taskId), r => Assert.Equal(compression, r.Settings!.Compression));
                var statistics = node.Services.GetRequiredService<Node.NodeStatistics>();
                foreach (var round in new[] { 1, 2 })
                {
                    var bytes = statistics.UpdateBytes(taskId, round)!.Value;
                    output.WriteLine($"{compression}: round {round} sent {bytes} payload bytes from {clients.Length} clients");
                    Assert.InRange(bytes, 1, clients.Length * 610 * 4 / 2);
                }
            }

            // The accountant's ε after each round (DP-FedAvg: growing, within the budget; otherwise no DP and none spent).
            var spent = log.OfType<PrivacyBudgetUpdated>().Where(p => p.TaskId == taskId).OrderBy(p => p.Round).ToList();
            Assert.Equal([1, 2], spent.Select(p => p.Round));
            Assert.All(spent, p => Assert.Equal(privacy.Enabled, p.DifferentialPrivacy));
            if (privacy.Enabled)
            {
                output.WriteLine($"ε after each round: {string.Join(", ", spent.Select(p => p.EpsilonSpent.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)))} (budget {privacy.EpsilonBudget}, δ {privacy.Delta})");
                Assert.True(spent[0].EpsilonSpent > 0 && spent[1].EpsilonSpent > spent[0].EpsilonSpent, "ε must grow with each DP round");
                Assert.True(spent[1].EpsilonSpent <= privacy.EpsilonBudget);
                Assert.All(log.OfType<RoundStarted>().Where(r => r.TaskId == taskId), r =>
                    Assert.Equal((privacy.NoiseMultiplier, privacy.ClippingNorm), (r.Settings!.CentralDp!.NoiseMultiplier, r.Settings.CentralDp.ClipNorm)));
            }

            // The node pinned the task's privacy at its first round: a later round that asks for less is refused.
            var pins = node.Services.GetRequiredService<Node.Privacy.PrivacyPins>();
            var last = log.OfType<RoundStarted>().Where(r => r.TaskId == taskId).MaxBy(r => r.Round)!;
            Assert.Null(await pins.CheckAsync(last, CancellationToken.None));
            var weaker = await pins.CheckAsync(last with { Round = last.Round + 1, Privacy = PrivacyConfig.None }, CancellationToken.None);
            Assert.Equal(variant is "secagg" or "dp", weaker is not null);
            if (weaker is not null) output.WriteLine($"pin: {weaker}");
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await node.StopAsync(stopping.Token);
            node.Dispose();
        }
    }

    [Fact]
    public async Task Clients_outside_their_nodes_training_window_decline_through_the_edge_and_the_round_ends_at_once()
    {
        var options = new SimulationOptions { Dataset = "synthetic", Clients = 3, Seed = 4, OutDir = _folder };
        Training.TorchRuntime.EnsureInitialized(1);
        var data = options.LoadData();
        var clients = VirtualClients.Create(data, options);
        var events = new EventLog();
        await using var edge = await StartEdgeAsync(events, data.Test);
        var token = await edge.IssueTokenAsync(clients.Length);
        // A window that starts two hours from now: every selected client is outside it.
        var now = TimeOnly.FromDateTime(DateTime.Now);
        var window = FormattableString.Invariant($"{now.AddHours(2):HH:mm}-{now.AddHours(3):HH:mm}");
        using var node = BuildNode(edge, token, clients, new Dictionary<string, string?> { ["Node:TrainingWindow"] = window });
        await node.StartAsync();
        try
        {
            await WaitForAsync(events, m => m is ClientRegistered, clients.Length, TimeSpan.FromSeconds(90));
            var spec = new TaskSpec
            {
                ModelName = "logreg", SampleShape = data.Test.Shape, ClassCount = data.Test.ClassCount, Rounds = 1, ClientFraction = 1.0,
                MinClientsPerRound = 3, Training = new TrainingConfig(1, 10, 0.05), SliceElements = 128, Seed = 4,
                RoundTimeout = TimeSpan.FromMinutes(30), // the round must not wait for it: the test gives up long before
            };
            await edge.Services.GetRequiredService<IBus>().Publish(new CreateTask("edge-declines", spec));
            await WaitForAsync(events, m => m is TaskCompleted t && t.TaskId == "edge-declines", 1, TimeSpan.FromMinutes(4));

            var log = events.All.Select(e => e.Message).ToList();
            var aggregated = Assert.Single(log.OfType<RoundAggregated>(), a => a.TaskId == "edge-declines");
            Assert.False(aggregated.Succeeded);
            Assert.Equal("quorum not reached: 0 complete updates, 2 needed (3 declined)", aggregated.FailureReason);
            Assert.Equal(clients.Select(c => c.ClientId).Order(StringComparer.Ordinal), aggregated.Declined!.Select(d => d.ClientId));
            Assert.All(aggregated.Declined!, d => Assert.Equal($"outside its node's training window {window}", d.Reason));
            Assert.Equal(clients.Length, log.OfType<UpdateDeclined>().Count(d => d.TaskId == "edge-declines")); // each came through the edge
            Assert.Empty(edge.Services.GetRequiredService<Enrolments>().Refusals);
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await node.StopAsync(stopping.Token);
            node.Dispose();
        }
    }

    // The edge with the six services embedded behind it on its bus, logging their events into the given log.
    private Task<EdgeServer> StartEdgeAsync(EventLog events, Core.Data.InMemoryDataset validation) =>
        EdgeServer.StartAsync(Path.Combine(_folder, "edge"), new Dictionary<string, string?>
        {
            ["Storage:ModelStoreRoot"] = Path.Combine(_folder, "models"),
        }, SimulationRunner.AddEmbeddedServiceConsumers, builder =>
        {
            builder.Services.AddSingleton(events);
            builder.Services.AddSingleton<IValidationSetProvider>(new FixedValidationSets(new Dictionary<string, Core.Data.InMemoryDataset>(), validation));
            SimulationRunner.AddEmbeddedServices(builder.Services, builder.Configuration);
        });

    // The node as `fl node --edge` composes it: its own data root, the edge's address and CA, the operator's token.
    private IHost BuildNode(EdgeServer edge, string token, IReadOnlyList<HostedClient> clients, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Root"] = Path.Combine(_folder, "node"),
            ["Node:EdgeUrl"] = edge.Address.ToString(),
            ["Node:EnrolToken"] = token,
            ["Node:EdgeCaFile"] = edge.Certificates.CaCertificate,
            ["Node:Parallelism"] = "2",
            ["Node:HeartbeatInterval"] = "00:00:15",
        });
        if (settings is not null) builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("MassTransit", LogLevel.Error);
        builder.AddNodeProcess("n1", clients);
        return builder.Build();
    }

    private static async Task WaitForAsync(EventLog events, Func<object, bool> match, int count, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var seen = 0;
        try
        {
            while (seen < count)
            {
                var observed = await events.Live.ReadAsync(cancel.Token);
                if (match(observed.Message)) seen++;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s and saw {seen} of {count} awaited events; last: " +
                string.Join(", ", events.All.TakeLast(8).Select(e => e.Message.GetType().Name)));
        }
    }
}
