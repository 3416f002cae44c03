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

    [Theory]
    [InlineData(SecureAggregationMode.None)]
    [InlineData(SecureAggregationMode.SecAgg)]
    public async Task A_node_behind_the_edge_enrols_registers_trains_and_uploads_every_round(SecureAggregationMode secure)
    {
        var options = new SimulationOptions { Dataset = "synthetic", Clients = 4, Seed = 3, OutDir = _folder };
        Training.TorchRuntime.EnsureInitialized(1);
        var data = options.LoadData();
        var clients = VirtualClients.Create(data, options);
        var events = new EventLog();
        await using var edge = await EdgeServer.StartAsync(Path.Combine(_folder, "edge"), new Dictionary<string, string?>
        {
            ["Storage:ModelStoreRoot"] = Path.Combine(_folder, "models"),
        }, SimulationRunner.AddEmbeddedServiceConsumers, builder =>
        {
            builder.Services.AddSingleton(events);
            builder.Services.AddSingleton<IValidationSetProvider>(new FixedValidationSets(new Dictionary<string, Core.Data.InMemoryDataset>(), data.Test));
            SimulationRunner.AddEmbeddedServices(builder.Services, builder.Configuration);
        });
        var token = await edge.IssueTokenAsync(clients.Length);
        using var node = BuildNode(edge, token, clients);
        await node.StartAsync();
        try
        {
            await WaitForAsync(events, m => m is ClientRegistered, clients.Length, TimeSpan.FromSeconds(90));
            Assert.IsType<EdgeUploads>(node.Services.GetRequiredService<IUpdateStreamProducer>()); // the node writes nowhere but the edge
            var taskId = $"edge-{secure}".ToLowerInvariant();
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
                Privacy = secure == SecureAggregationMode.None ? PrivacyConfig.None : PrivacyConfig.None with { SecureAggregation = secure, SecureAggregationClip = 0.05 },
                SliceElements = 128,
                Seed = 3,
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
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await node.StopAsync(stopping.Token);
            node.Dispose();
        }
    }

    // The node as `fl node --edge` composes it: its own data root, the edge's address and CA, the operator's token.
    private IHost BuildNode(EdgeServer edge, string token, IReadOnlyList<HostedClient> clients)
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
