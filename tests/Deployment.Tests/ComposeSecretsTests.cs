using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Stores;
using FlMicroservices.Infrastructure.Stores.Redis;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace FlMicroservices.Deployment.Tests;

/// <summary>A probe sent over the bus that compose's secrets configure.</summary>
public sealed record ComposeProbe(Guid Id);

/// <summary>
/// What scripts/compose-secrets.sh makes for docker/compose.yaml, run against this machine's RabbitMQ (no Docker engine here):
/// the broker configured by its rabbitmq.conf, the bus configured by its secret files.
/// </summary>
public sealed class ComposeSecretsTests : IAsyncLifetime
{
    private readonly string _secrets = Path.Combine(Path.GetTempPath(), "fl-compose-secrets-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly string _serviceSecrets = Directory.CreateTempSubdirectory("fl-service-secrets-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        foreach (var folder in new[] { _secrets, _serviceSecrets })
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_generated_broker_accepts_only_TLS_with_the_deployment_user_and_the_services_reach_it_from_their_secret_files()
    {
        Run("bash", "scripts/compose-secrets.sh", "--out", _secrets);
        var connection = new Uri(File.ReadAllText(Path.Combine(_secrets, "ConnectionStrings__rabbitmq")));
        Assert.Equal("amqps", connection.Scheme);
        Assert.StartsWith("fl:", connection.UserInfo);
        // The broker as compose configures it, with the mount points (/run/secrets) and port mapped to this machine.
        var lines = File.ReadAllLines(Path.Combine(_secrets, "rabbitmq.conf"));
        await using var broker = await LocalRabbitMqServer.StartAsync(port => lines.Select(l => l
            .Replace("/run/secrets/", _secrets + "/", StringComparison.Ordinal)
            .Replace("listeners.ssl.default = 5671", $"listeners.ssl.default = {port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal)));
        // A service's /run/secrets: the same connection string, with the host and port this machine uses.
        var local = new UriBuilder(connection) { Host = "localhost", Port = broker.TlsPort }.Uri;
        File.WriteAllText(Path.Combine(_serviceSecrets, "ConnectionStrings__rabbitmq"), local.ToString());
        var before = Environment.GetEnvironmentVariable("FL_SECRETS_DIR");
        Environment.SetEnvironmentVariable("FL_SECRETS_DIR", _serviceSecrets);
        try
        {
            var received = new ConcurrentBag<Guid>();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Messaging:Transport"] = "RabbitMq",
                ["Messaging:TlsCaCertificate"] = Path.Combine(_secrets, "ca.pem"),
            });
            builder.Configuration.AddFlSecretFiles();
            builder.Services.AddSingleton(received);
            builder.Services.AddFlMessaging(builder.Configuration, bus => bus.AddConsumer<ProbeConsumer>().Endpoint(e => e.Name = $"compose-probe-{Guid.NewGuid():N}"));
            using var host = builder.Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await host.StartAsync(timeout.Token);
            var probe = new ComposeProbe(Guid.NewGuid());

            await host.Services.GetRequiredService<IBus>().Publish(probe, timeout.Token);
            while (!received.Contains(probe.Id) && !timeout.IsCancellationRequested) await Task.Delay(50);

            Assert.Contains(probe.Id, received);
            await host.StopAsync();
        }
        finally
        {
            Environment.SetEnvironmentVariable("FL_SECRETS_DIR", before);
        }

        // No default account: guest/guest is refused on the same TLS listener.
        var guest = new ConnectionFactory
        {
            Uri = new UriBuilder(local) { UserName = "guest", Password = "guest" }.Uri,
            Ssl = new SslOption { Enabled = true, ServerName = "localhost", CertificateValidationCallback = (_, _, _, _) => true },
        };
        var refused = await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() => guest.CreateConnectionAsync());
        Assert.IsType<AuthenticationFailureException>(refused.InnerException);

        // Every process kind has its own user from the imported definitions, with its password file; a node may not publish
        // RoundStarted, the selector may.
        var roundStarted = BrokerAccount.ExchangeOf(typeof(RoundStarted));
        await using (var admin = await Factory(local).CreateConnectionAsync())
        await using (var channel = await admin.CreateChannelAsync())
            await channel.ExchangeDeclareAsync(roundStarted, ExchangeType.Fanout, durable: true);
        var codes = new Dictionary<string, int>();
        foreach (var account in BrokerAccounts.All)
        {
            var password = File.ReadAllText(Path.Combine(_secrets, "broker", account.Name + ".password"));
            await using var user = await Factory(new UriBuilder(local) { UserName = account.User, Password = password }.Uri).CreateConnectionAsync();
            codes[account.Name] = await PublishRefusalAsync(user, roundStarted);
        }
        Assert.Equal(403, codes["node"]);
        Assert.Equal(0, codes["selector"]);
        Assert.All(codes.Where(c => c.Key != "selector"), c => Assert.True(c.Value == 403, $"{c.Key} may publish RoundStarted"));

        // Each issuer's command key as the script made it (openssl, PKCS#8) signs, and a reader checks it, from a read-only folder.
        var keys = Path.Combine(_secrets, "broker");
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            using var selector = CommandSigning.For(keys, BrokerAccounts.Selector);
            using var aggregation = CommandSigning.For(keys, BrokerAccounts.Aggregation);
            using var modelRegistry = CommandSigning.For(keys, BrokerAccounts.ModelRegistry);
            using var registry = CommandSigning.For(keys, BrokerAccounts.Registry);
            using var node = CommandSigning.For(keys, BrokerAccounts.Node);
            using var reward = CommandSigning.For(keys, BrokerAccounts.Reward);
            var round = new RoundStarted("t", 1, 0, ["c"], DateTimeOffset.UtcNow, new TrainingConfig(1, 1, 0.1), PrivacyConfig.None, 1, "logreg", "fedavg", [], 1, 1);
            Assert.Null(node.Problem(selector.Sign(round)));
            Assert.Null(node.Problem(aggregation.Sign(new SecAggServerMessage("t", 1, "c", [1]))));
            Assert.Null(reward.Problem(modelRegistry.Sign(new RoundCompleted("t", 1, 1, true, false, null, null, ["c"], [], [], [], null, DateTimeOffset.UtcNow))));
            var spec = new TaskSpec { ModelName = "logreg", SampleShape = [4], ClassCount = 2, Rounds = 1, Training = new TrainingConfig(1, 1, 0.1) };
            Assert.Null(selector.Problem(registry.Sign(new TaskCreated("t", spec, DateTimeOffset.UtcNow))));
        }
        finally
        {
            File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static ConnectionFactory Factory(Uri uri) => new()
    {
        Uri = uri,
        Ssl = new SslOption { Enabled = true, ServerName = "localhost", CertificateValidationCallback = (_, _, _, _) => true },
    };

    // Publishes one message with confirms; the reply code the broker closed the channel with, or 0 when it took it.
    private static async Task<int> PublishRefusalAsync(IConnection connection, string exchange)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        try
        {
            await channel.BasicPublishAsync(exchange, "", mandatory: false, new BasicProperties(), "{}"u8.ToArray());
            await channel.ExchangeDeclarePassiveAsync("amq.fanout"); // a refused publish closes the channel asynchronously
            return 0;
        }
        catch (OperationInterruptedException e)
        {
            return e.ShutdownReason?.ReplyCode ?? -1;
        }
        catch (RabbitMQ.Client.Exceptions.PublishException)
        {
            return channel.CloseReason?.ReplyCode ?? -1;
        }
    }

    [Fact]
    public async Task The_generated_Redis_accepts_only_TLS_with_the_password_and_the_client_health_store_reaches_it_from_its_secret_file()
    {
        Run("bash", "scripts/compose-secrets.sh", "--out", _secrets);
        var connection = File.ReadAllText(Path.Combine(_secrets, "ConnectionStrings__redis"));
        var password = File.ReadAllText(Path.Combine(_secrets, "redis-password"));
        Assert.Equal($"redis:6379,ssl=true,password={password}", connection);
        // Redis as compose configures it: its redis.conf with the mount points (/run/secrets) of this machine.
        var conf = Path.Combine(_serviceSecrets, "redis.conf");
        File.WriteAllText(conf, File.ReadAllText(Path.Combine(_secrets, "redis.conf")).Replace("/run/secrets/", _secrets + "/", StringComparison.Ordinal));
        await using var redis = await LocalRedisServer.StartTlsAsync(password, conf);

        // A service's settings: the connection string from the secret, with this machine's port; the CA as compose mounts it.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:TlsCaCertificate"] = Path.Combine(_secrets, "ca.pem"),
            ["Redis:KeyPrefix"] = "compose-probe:",
        }).Build();
        var local = connection.Replace("redis:6379", $"127.0.0.1:{redis.Port.ToString(CultureInfo.InvariantCulture)},sslHost=redis", StringComparison.Ordinal);
        var store = new ServiceCollection().AddRedisClientHealthStore(local, configuration).BuildServiceProvider().GetRequiredService<RedisClientHealthStore>();
        var until = DateTime.UtcNow.AddSeconds(60);
        while (!await store.PingAsync(CancellationToken.None))
        {
            Assert.True(DateTime.UtcNow < until, $"the client-health store did not reach the TLS Redis:\n{ProcessRunner.Tail(redis.LogPath)}");
            await Task.Delay(200);
        }
        await store.UpsertAsync(new ClientHealth("compose-client", ClientStatus.Healthy, DateTimeOffset.UtcNow, 1, 0, 1), CancellationToken.None);
        Assert.Equal(1, await store.CountAsync(CancellationToken.None));

        // Without TLS the same password gets no answer.
        var plain = new ServiceCollection().AddRedisClientHealthStore($"127.0.0.1:{redis.Port.ToString(CultureInfo.InvariantCulture)},password={password},connectTimeout=2000,asyncTimeout=2000",
            new ConfigurationBuilder().Build()).BuildServiceProvider().GetRequiredService<RedisClientHealthStore>();
        Assert.False(await plain.PingAsync(CancellationToken.None));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void A_second_run_keeps_the_secrets_and_force_replaces_them()
    {
        Run("bash", "scripts/compose-secrets.sh", "--out", _secrets);
        var first = File.ReadAllText(Path.Combine(_secrets, "ConnectionStrings__rabbitmq"));

        var again = Run("bash", "scripts/compose-secrets.sh", "--out", _secrets);
        var kept = File.ReadAllText(Path.Combine(_secrets, "ConnectionStrings__rabbitmq"));
        Run("bash", "scripts/compose-secrets.sh", "--force", "--out", _secrets);
        var replaced = File.ReadAllText(Path.Combine(_secrets, "ConnectionStrings__rabbitmq"));

        Assert.Contains("already holds secrets", again);
        Assert.Equal(first, kept);
        Assert.NotEqual(first, replaced);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_secrets));
    }

    /// <summary>Runs a program in the repository root and returns its output; fails the test on a non-zero exit.</summary>
    internal static string Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)), $"{file} {string.Join(' ', arguments)} did not finish within 120 s");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} exited {process.ExitCode}: {error.Result}");
        return output.Result;
    }

    private static string RepositoryRoot => Repository.Root;

    private sealed class ProbeConsumer(ConcurrentBag<Guid> received) : IConsumer<ComposeProbe>
    {
        public Task Consume(ConsumeContext<ComposeProbe> context)
        {
            received.Add(context.Message.Id);
            return Task.CompletedTask;
        }
    }
}
