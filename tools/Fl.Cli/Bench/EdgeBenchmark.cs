using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Edge;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.UpdateStream;
using FlMicroservices.KafkaMock;
using FlMicroservices.Node.Edge;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlMicroservices.Cli.Bench;

/// <summary>
/// Upload throughput of a round through the edge (HTTPS, HTTP/2, each slice decoded, checked and produced by the edge), as a
/// ratio to producing the same slices straight to the update stream, both into the same Kafka cluster in the same run.
/// </summary>
/// <remarks>Both paths send the clients' updates with the same number of clients at once; a path's time ends when the cluster
/// acknowledged its last slice (the edge answers an upload only after producing all of its slices).</remarks>
public static class EdgeBenchmark
{
    public sealed record Result(int clients, int parameters, int slices_per_update, int concurrency, double direct_mb_per_s, double edge_mb_per_s,
        double ratio, double direct_seconds, double edge_seconds, string stream, string protocol, bool every_slice_accepted);

    public static async Task<Result> RunAsync(int clients, int parameters, int concurrency, Action<string>? log = null)
    {
        using var mock = new MockKafkaCluster();
        var folder = Directory.CreateTempSubdirectory("fl-bench-edge-").FullName;
        try
        {
            var sliceElements = UpdateSliceCodec.MaxElements;
            var update = new float[parameters];
            var rng = new Random(7);
            for (var i = 0; i < update.Length; i++) update[i] = (float)(rng.NextDouble() - 0.5) * 0.01f;
            var ids = Enumerable.Range(0, clients).Select(c => $"c{c:D5}").ToArray();
            var run = Guid.NewGuid().ToString("N")[..8];
            var bytes = (double)clients * parameters * sizeof(float);

            using var direct = new KafkaUpdateStream(mock.BootstrapServers, new UpdateStreamOptions { Transport = "Kafka", Topic = $"bench-direct-{run}" },
                ExternalCallResilience.Create("kafka", new ResilienceOptions(), KafkaUpdateStream.IsTransient), NullLoggerFactory.Instance);
            await SendAsync(ids.Take(concurrency).ToArray(), concurrency, id => DirectAsync(direct, id, update, sliceElements)); // warm-up: JIT, topic, connection
            log?.Invoke("direct to the update stream ...");
            var watch = Stopwatch.StartNew();
            await SendAsync(ids, concurrency, id => DirectAsync(direct, id, update, sliceElements));
            var directTime = watch.Elapsed;

            log?.Invoke($"direct: {directTime.TotalSeconds:F2} s; starting the edge ...");
            var (certificate, key) = SelfSigned(folder);
            await using var edge = await StartEdgeAsync(folder, certificate, key, mock.BootstrapServers, $"bench-edge-{run}");
            var address = edge.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var node = new EdgeClient(new EdgeNodeOptions { EdgeUrl = address, EdgeCaFile = certificate }, TimeProvider.System);
            var token = (await edge.Services.GetRequiredService<Enrolments>().IssueAsync(clients, null, CancellationToken.None)).Token;
            node.Identity = await EdgeSession.EnrolAsync(node, token, "bench", ids, Path.Combine(folder, "node.json"), CancellationToken.None);
            await edge.Services.GetRequiredService<IBus>().Publish(new RoundStarted("bench", 1, 0, ids, DateTimeOffset.UtcNow.AddHours(1),
                new TrainingConfig(1, 1, 0.1), PrivacyConfig.None, sliceElements, "bench", "fedavg", [], 1.0, 1));
            var rounds = edge.Services.GetRequiredService<OpenRounds>();
            while (rounds.Problem("bench", 1, ids[0]) is not null) await Task.Delay(20);

            var uploads = new EdgeUploads(node);
            var accepted = 0;
            var sliceCount = UpdateSliceCodec.SliceCountFor(parameters, sliceElements);
            await SendAsync(ids.Take(concurrency).ToArray(), concurrency, id => EdgeAsync(uploads, id, update, sliceElements, 0)); // warm-up: TLS, HTTP/2, JIT
            log?.Invoke("through the edge ...");
            watch.Restart();
            await SendAsync(ids, concurrency, async id =>
            {
                if (await EdgeAsync(uploads, id, update, sliceElements, 1) == sliceCount) Interlocked.Increment(ref accepted);
            });
            var edgeTime = watch.Elapsed;
            log?.Invoke($"edge: {edgeTime.TotalSeconds:F2} s");
            var directRate = bytes / directTime.TotalSeconds / 1e6;
            var edgeRate = bytes / edgeTime.TotalSeconds / 1e6;
            return new Result(clients, parameters, sliceCount, concurrency, Math.Round(directRate, 1), Math.Round(edgeRate, 1), Math.Round(edgeRate / directRate, 3),
                Math.Round(directTime.TotalSeconds, 3), Math.Round(edgeTime.TotalSeconds, 3), "librdkafka mock cluster (in process)", "HTTPS, HTTP/2", accepted == clients);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task SendAsync(string[] ids, int concurrency, Func<string, Task> send)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < ids.Length; i = Interlocked.Increment(ref next)) await send(ids[i]);
        })));
    }

    private static async Task DirectAsync(IUpdateStreamProducer stream, string clientId, float[] update, int sliceElements)
    {
        foreach (var slice in UpdateSliceCodec.Slice("bench", 1, clientId, update, 10, sliceElements))
            await stream.ProduceAsync(slice, CancellationToken.None);
    }

    // Round 0 is the warm-up: a round the edge has not seen, so it refuses the upload after the same TLS and HTTP/2 set-up.
    private static async Task<int> EdgeAsync(EdgeUploads uploads, string clientId, float[] update, int sliceElements, int round)
    {
        try
        {
            foreach (var slice in UpdateSliceCodec.Slice("bench", round, clientId, update, 10, sliceElements))
                await uploads.ProduceAsync(slice, CancellationToken.None);
            return (await uploads.CompleteAsync("bench", round, clientId, CancellationToken.None))?.Slices ?? 0;
        }
        catch (EdgeRequestException) when (round == 0)
        {
            return 0;
        }
    }

    private static async Task<WebApplication> StartEdgeAsync(string folder, string certificate, string key, string kafka, string topic)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:Root"] = folder,
            ["Storage:State"] = "InMemory",
            ["Edge:CertificateFile"] = certificate,
            ["Edge:CertificateKeyFile"] = key,
            ["UpdateStream:Transport"] = "Kafka",
            ["UpdateStream:Topic"] = topic,
            ["UpdateStream:Provisioning"] = "None", // the mock cluster cannot create topics by request; it creates them on first use
            ["ConnectionStrings:kafka"] = kafka,
            ["urls"] = "https://127.0.0.1:0",
        });
        builder.Logging.ClearProviders().AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("FlMicroservices.Edge", LogLevel.Error); // the warm-up's refusals are expected
        builder.AddEdgeProcess();
        var app = builder.Build();
        app.MapEdgeProcess();
        await app.StartAsync();
        return app;
    }

    // A throwaway self-signed certificate for 127.0.0.1, which the benchmark's node trusts as its authority.
    private static (string Certificate, string Key) SelfSigned(string folder)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var files = (Path.Combine(folder, "edge.pem"), Path.Combine(folder, "edge.key"));
        File.WriteAllText(files.Item1, certificate.ExportCertificatePem());
        File.WriteAllText(files.Item2, key.ExportPkcs8PrivateKeyPem());
        return files;
    }
}
