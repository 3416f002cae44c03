using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using FlMicroservices.Contracts.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace FlMicroservices.AppHost.Tests;

/// <summary>
/// The Aspire AppHost started as a user's <c>dotnet run</c> would, on this machine: RabbitMQ and Redis from the Debian
/// packages and the Kafka mock as local processes, the six services and three nodes as projects. A task submitted over the
/// AppHost's RabbitMQ completes, seen by an outside subscriber.
/// </summary>
public sealed class AppHostTests(ITestOutputHelper output)
{
    private const int Nodes = 3;
    private const int ClientsPerNode = 2;
    private static readonly string[] Services = ["registry", "selector", "aggregation", "privacy-accounting", "model-registry", "reward"];

    [Fact]
    public async Task The_AppHost_runs_here_and_a_three_round_task_completes()
    {
        Assert.True(File.Exists("/usr/lib/rabbitmq/bin/rabbitmq-server"), "rabbitmq-server is not installed (apt-get install -y rabbitmq-server; scripts/test.sh does it)");
        Assert.True(File.Exists("/usr/bin/redis-server"), "redis-server is not installed (apt-get install -y redis-server; scripts/test.sh does it)");
        var dataRoot = Path.Combine(Path.GetTempPath(), "fl-apphost-test-" + Guid.NewGuid().ToString("N")[..10]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(20)); // the whole test, on a slow loaded machine
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.FlMicroservices_AppHost>(
        [
            "--Fl:Infrastructure=processes", $"--Fl:DataRoot={dataRoot}",
            $"--Fl:Nodes={Nodes}", $"--Fl:ClientsPerNode={ClientsPerNode}",
        ], (options, _) => options.DisableDashboard = true, deadline.Token);
        // The resources' own logs and the start-up health probes would fill the test log; warnings and errors stay.
        builder.Services.AddLogging(logging => logging
            .AddFilter("FlMicroservices.AppHost.Resources", LogLevel.Warning)
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None)
            .AddFilter("Aspire.Hosting", LogLevel.Warning));
        await using var app = await builder.BuildAsync(deadline.Token);
        try
        {
            await app.StartAsync(deadline.Token);
            var notifications = app.Services.GetRequiredService<ResourceNotificationService>();
            foreach (var service in Services) await notifications.WaitForResourceHealthyAsync(service, deadline.Token);
            for (var i = 1; i <= Nodes; i++) await notifications.WaitForResourceAsync($"node-{i}", KnownResourceStates.Running, deadline.Token);
            output.WriteLine($"{DateTime.UtcNow:O} services healthy, nodes running");

            var rabbitMq = await app.GetConnectionStringAsync("rabbitmq", deadline.Token);
            Assert.StartsWith("amqp://fl:", rabbitMq); // the deployment's own user, never guest
            await using var subscriber = await EventSubscriber.ConnectAsync(rabbitMq!);

            // Nodes register shortly after they start; a task submitted before all have is ended by the selector with
            // "cannot start" and submitted again under a new id.
            RoundCompleted[] rounds;
            while (true)
            {
                var taskId = $"apphost-{Guid.NewGuid():N}"[..24];
                await subscriber.SubmitAsync(new CreateTask(taskId, Spec()));
                while (subscriber.Completed(taskId) is null && subscriber.Rejected(taskId) is null) await Task.Delay(250, deadline.Token);
                Assert.Null(subscriber.Rejected(taskId)?.Reason);
                rounds = [.. subscriber.Rounds(taskId)];
                var completed = subscriber.Completed(taskId)!;
                output.WriteLine($"{DateTime.UtcNow:O} {taskId}: {completed.RoundsCompleted} rounds, {completed.Reason}");
                if (rounds.Length > 0 || !completed.Reason.Contains("cannot start", StringComparison.Ordinal)) break;
                await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);
            }

            Assert.Equal([1, 2, 3], rounds.Select(r => r.Round));
            foreach (var round in rounds)
            {
                output.WriteLine($"round {round.Round}: succeeded={round.Succeeded} version={round.ModelVersion} participants={round.Participants.Length} accuracy={round.Accuracy} loss={round.Loss}");
                Assert.True(round.Succeeded, round.FailureReason);
                Assert.Equal(Nodes * ClientsPerNode, round.Participants.Length);
                Assert.Equal(round.Round, round.ModelVersion);
            }
            // The task names its validation data (the nodes' synthetic generator), so the model registry evaluated every round.
            Assert.All(rounds, r => Assert.True(r.Evaluated, r.NotEvaluatedReason));
            Assert.All(rounds, r => Assert.InRange(r.Accuracy ?? -1, 0.0, 1.0));
            Assert.All(rounds, r => Assert.True(r.Loss is { } loss && double.IsFinite(loss) && loss > 0, $"round {r.Round} loss {r.Loss}"));
            Assert.True(Directory.Exists(Path.Combine(dataRoot, "ledger")) && Directory.EnumerateFiles(Path.Combine(dataRoot, "ledger")).Any(),
                "the privacy ledger journal was not written to the AppHost's ledger folder");

            // The operator API through the gateway: the task's versions 0-3, the current one that of the last round.
            await notifications.WaitForResourceHealthyAsync("gateway", deadline.Token);
            using var gateway = new HttpClient { BaseAddress = app.GetEndpoint("gateway", "http") };
            var key = Infrastructure.Security.DevelopmentIssuer.LoadOrCreateKey(Path.Combine(dataRoot, "secrets", "operator-signing.key"));
            gateway.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
                Infrastructure.Security.DevelopmentIssuer.Mint(key, "apphost-test", Infrastructure.Security.OperatorRoles.Auditor, TimeSpan.FromMinutes(30)));
            using var versions = System.Text.Json.JsonDocument.Parse(
                await gateway.GetStringAsync($"/api/tasks/{rounds[0].TaskId}/models", deadline.Token));
            Assert.Equal(4, versions.RootElement.GetProperty("total").GetInt32());
            Assert.Equal(rounds[^1].ModelVersion, versions.RootElement.GetProperty("currentVersion").GetInt32());
            // Tasks and rounds from the selector, clients from the registry, through the same base URL.
            using var task = System.Text.Json.JsonDocument.Parse(await gateway.GetStringAsync($"/api/tasks/{rounds[0].TaskId}", deadline.Token));
            Assert.Equal("Completed", task.RootElement.GetProperty("task").GetProperty("state").GetString());
            using var roundPage = System.Text.Json.JsonDocument.Parse(await gateway.GetStringAsync($"/api/tasks/{rounds[0].TaskId}/rounds", deadline.Token));
            Assert.Equal(3, roundPage.RootElement.GetProperty("total").GetInt32());
            using var clients = System.Text.Json.JsonDocument.Parse(await gateway.GetStringAsync("/api/clients", deadline.Token));
            Assert.Equal(Nodes * ClientsPerNode, clients.RootElement.GetProperty("total").GetInt32());

            // The operators' dashboard reads the gateway with the token it mints from the AppHost's key: its tasks page lists the task.
            await notifications.WaitForResourceHealthyAsync("dashboard", deadline.Token);
            using var dashboard = new HttpClient { BaseAddress = app.GetEndpoint("dashboard", "http") };
            var tasksPage = await dashboard.GetStringAsync("/", deadline.Token);
            Assert.Contains(rounds[0].TaskId, tasksPage);
            Assert.Contains("listens on localhost only", tasksPage);

            // The edge for outside nodes answers over HTTPS only, with a certificate of the CA the AppHost made in the data root.
            await notifications.WaitForResourceAsync("edge", KnownResourceStates.Running, deadline.Token);
            var edgeCa = Path.Combine(dataRoot, "edge-tls", "ca.pem");
            using var trustingEdgeCa = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => IssuedBy(certificate, edgeCa) };
            using var edge = new HttpClient(trustingEdgeCa) { BaseAddress = app.GetEndpoint("edge", "https") };
            Assert.Equal("https", edge.BaseAddress!.Scheme);
            string? ready = null;
            using var edgeWait = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            edgeWait.CancelAfter(TimeSpan.FromMinutes(3)); // the edge was Running already: three minutes to answer, or the last error says why not
            HttpRequestException? lastError = null;
            while (ready is null)
            {
                try { ready = await edge.GetStringAsync("/health/ready", edgeWait.Token); }
                catch (HttpRequestException e) when (!edgeWait.IsCancellationRequested)
                {
                    lastError = e;
                    await Task.Delay(500, deadline.Token); // still starting
                }
                catch (OperationCanceledException) when (edgeWait.IsCancellationRequested && !deadline.IsCancellationRequested)
                {
                    Assert.Fail($"the edge did not answer /health/ready over HTTPS within 3 minutes: {lastError?.InnerException?.Message ?? lastError?.Message}");
                }
            }
            output.WriteLine($"edge /health/ready: {ready}");

            // Every process connected as its own account's broker user (docs/security.md, "Broker accounts"); only this
            // test's subscriber as the administrator. Each account's folder holds its own password and no other.
            var users = await BrokerConnectionUsersAsync(dataRoot, deadline.Token);
            output.WriteLine("broker connections by user: " + string.Join(", ", users.GroupBy(u => u).Select(g => $"{g.Key}={g.Count()}")));
            Assert.Equal(["fl", .. Services.Append("dashboard").Append("edge").Append("node").Select(a => "fl-" + a).Order(StringComparer.Ordinal)],
                users.Distinct().Order(StringComparer.Ordinal));
            Assert.True(users.Count(u => u == "fl-node") >= Nodes, $"{users.Count(u => u == "fl-node")} connections as fl-node for {Nodes} nodes");
            Assert.Equal(["aggregation.command-key.pub", "model-registry.command-key.pub", "node.password", "privacy-accounting.command-key.pub",
                    "registry.command-key.pub", "reward.command-key.pub", "selector.command-key.pub"],
                Directory.GetFiles(Path.Combine(dataRoot, "broker", "accounts", "node")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            // An issuer of signed commands holds its own private key and no other's.
            Assert.Equal(["selector.command-key"], Directory.GetFiles(Path.Combine(dataRoot, "broker", "accounts", "selector"), "*.command-key").Select(Path.GetFileName));
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            try { Directory.Delete(dataRoot, recursive: true); } catch (IOException) { /* best effort */ }
        }
    }

    // Whether the server's certificate chains to the CA in caFile (and only that CA).
    private static bool IssuedBy(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, string caFile)
    {
        if (certificate is null) return false;
        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
        chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
        // The CA's certificate alone (CreateFromPemFile would look for a private key in the file too and throw).
        chain.ChainPolicy.CustomTrustStore.Add(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(caFile)));
        return chain.Build(certificate);
    }

    // The users of the broker's open connections, from rabbitmqctl with the settings local/rabbitmq.sh wrote.
    private static async Task<string[]> BrokerConnectionUsersAsync(string dataRoot, CancellationToken cancellationToken)
    {
        var start = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["-c", "source \"$1\" && /usr/lib/rabbitmq/bin/rabbitmqctl -n \"$RABBITMQ_NODENAME\" -s list_connections user", "-",
                     Path.Combine(dataRoot, "rabbitmq", "rabbitmqctl.env")])
            start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        var lines = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, $"rabbitmqctl list_connections exited {process.ExitCode}: {await errors}");
        return lines.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static TaskSpec Spec() => new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = 3,
        ClientFraction = 1.0,
        MinClientsPerRound = Nodes * ClientsPerNode,
        Quorum = 1.0,
        RoundTimeout = TimeSpan.FromMinutes(3),
        Training = new TrainingConfig(1, 10, 0.05),
        Seed = 5,
        // The pooled test splits of the data set the nodes generate (fl node --dataset synthetic, seed 1, their clients in all).
        Validation = new ValidationData { Kind = ValidationDataKind.Synthetic, Seed = 1, Devices = Nodes * ClientsPerNode },
    };
}
