using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;
using FlMicroservices.Distributed.Tests;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Security;
using MassTransit.Serialization;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace FlMicroservices.Security.Tests;

/// <summary>
/// The separate-process deployment under attack: six services and three nodes (two clients each) over RabbitMQ (AMQPS only,
/// each process its own broker user), Kafka and Redis, with one secure-aggregation task run to its end first, so that the nodes have
/// pinned its privacy settings. Shared by the attacks of the collection; each attack leaves the deployment usable. At the end
/// it reports the attacks tried and blocked (a diagnostic message: "attacks tried N, blocked M").
/// </summary>
public sealed class AttackedDeployment(IMessageSink diagnostics) : IAsyncLifetime
{
    public const int ClientsPerNode = 2;
    public const int Clients = 3 * ClientsPerNode;

    /// <summary>
    /// Seconds node-3 waits between training and streaming: every round stays open at least this long after the other nodes'
    /// manifests, so an attack that waits for a round's start (or for a manifest) still finds the round open.
    /// </summary>
    public const int SlowNodeDelaySeconds = 8;

    private readonly SemaphoreSlim _gatewayStart = new(1, 1);
    private ServiceProcess? _gateway;
    private readonly SemaphoreSlim _edgeStart = new(1, 1);
    private readonly Dictionary<string, LiveEdge> _edges = new(StringComparer.Ordinal);

    /// <summary>The largest upload the deployment's edges take (Edge:MaxUploadBytes), small so the oversize attack stays cheap.</summary>
    public const long EdgeUploadCap = 1024 * 1024;

    /// <summary>How long slices for a round that never opens are kept (Aggregation:HeldLifetime), shorter than the default for the flood attack.</summary>
    /// <remarks>Long enough that the flood fills the 64 MiB budget before the first of its slices expire, also on a loaded machine.</remarks>
    public static readonly TimeSpan HeldLifetime = TimeSpan.FromSeconds(30);

    public Deployment Deployment { get; private set; } = null!;
    public Observer Observer { get; private set; } = null!;

    /// <summary>The attacks tried against this deployment and what stopped each.</summary>
    public AttackLedger Ledger { get; } = new();

    /// <summary>The secure task that ran before the attacks, and its rounds.</summary>
    public string SecureTaskId { get; } = $"secure-{Guid.NewGuid():N}"[..20];

    public async Task InitializeAsync()
    {
        Deployment = await Deployment.StartAsync(restartable: true, tlsOnlyBroker: true, settings: new Dictionary<string, Dictionary<string, string>>
        {
            ["Aggregation"] = new() { ["Aggregation__HeldLifetime"] = HeldLifetime.ToString("c", System.Globalization.CultureInfo.InvariantCulture) },
        });
        Observer = await Observer.StartAsync(Deployment.RabbitMqUrl, caCertificate: Deployment.BrokerCaCertificate);
        Deployment.StartNodes([0, 0, SlowNodeDelaySeconds], ClientsPerNode);
        await WaitAsync(o => o.Of<ClientRegistered>().Count() >= Clients, "all clients registered", 180);
        await Observer.PublishAsync(new CreateTask(SecureTaskId, SecureSpec(rounds: 2)));
        await WaitAsync(o => o.Of<TaskCompleted>().Any(t => t.TaskId == SecureTaskId), "the secure task to complete", 360);
        var done = Observer.Of<TaskCompleted>().Single(t => t.TaskId == SecureTaskId);
        if (!done.Succeeded) throw new InvalidOperationException($"The secure task before the attacks failed: {done.Reason}\n{Deployment.Logs()}");
    }

    public async Task DisposeAsync()
    {
        var summary = Ledger.Summary();
        diagnostics.OnMessage(new DiagnosticMessage("{0}", summary));
        Console.WriteLine(summary);
        if (_gateway is not null) await _gateway.DisposeAsync();
        foreach (var edge in _edges.Values) await edge.Process.DisposeAsync();
        if (Observer is not null) await Observer.DisposeAsync();
        if (Deployment is not null) await Deployment.DisposeAsync();
    }

    /// <summary>Waits for a condition over the events seen; throws with the logs when it does not hold in time.</summary>
    public async Task WaitAsync(Func<Observer, bool> condition, string what, int seconds)
    {
        if (await Observer.WaitAsync(condition, TimeSpan.FromSeconds(seconds))) return;
        throw new TimeoutException($"Waited {seconds} s for {what}.\n{Deployment.Logs()}");
    }

    /// <summary>A secure-aggregation (SecAgg) logreg task over every client.</summary>
    public static TaskSpec SecureSpec(int rounds) => new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = rounds,
        ClientFraction = 1.0,
        MinClientsPerRound = Clients,
        Quorum = 0.5,
        RoundTimeout = TimeSpan.FromMinutes(3),
        Training = new TrainingConfig(1, 10, 0.05),
        SliceElements = 64,
        Seed = 5,
        Privacy = PrivacyConfig.None with { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationClip = 0.5 },
    };

    /// <summary>The gateway process in front of the services' operator API, started on first use; its base address.</summary>
    public async Task<Uri> GatewayAsync()
    {
        await _gatewayStart.WaitAsync();
        try
        {
            if (_gateway is null)
            {
                var dll = Path.Combine(RepositoryPaths.Root, "services", "Gateway", "FlMicroservices.Gateway.Host", "bin", RepositoryPaths.Configuration, "net10.0",
                    "FlMicroservices.Gateway.Host.dll");
                var routes = new[] { "Registry", "Selector", "ModelRegistry", "Reward", "PrivacyAccounting" }
                    .ToDictionary(s => $"Gateway__{s}Url", s => $"http://127.0.0.1:{Deployment.Services[s].HttpPort}");
                routes["Storage__Root"] = Deployment.Root; // the development issuer's key the services use, and the audit log
                var gateway = new ServiceProcess("Gateway", dll, [], routes, Deployment.LogDirectory, Deployment.FreePort());
                gateway.Start();
                _gateway = gateway;
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                await gateway.WaitReadyAsync(http, TimeSpan.FromSeconds(120));
            }
            return new Uri($"http://127.0.0.1:{_gateway.HttpPort}");
        }
        finally
        {
            _gatewayStart.Release();
        }
    }

    /// <summary>The gateway's process (for its log), once <see cref="GatewayAsync"/> started it.</summary>
    public ServiceProcess Gateway => _gateway ?? throw new InvalidOperationException("The gateway has not been started.");

    /// <summary>
    /// An edge process (services/Edge) named <paramref name="name"/> with its own broker user (fl-edge), its own state folder and a
    /// certificate of the deployment's edge CA, over HTTPS only; started on first use with <paramref name="settings"/> (Edge__*).
    /// </summary>
    public async Task<LiveEdge> EdgeAsync(string name, IReadOnlyDictionary<string, string>? settings = null)
    {
        await _edgeStart.WaitAsync();
        try
        {
            if (_edges.TryGetValue(name, out var running)) return running;
            var dll = Path.Combine(RepositoryPaths.Root, "services", "Edge", "FlMicroservices.Edge.Host", "bin", RepositoryPaths.Configuration, "net10.0",
                "FlMicroservices.Edge.Host.dll");
            var tls = Path.Combine(Deployment.Root, "edge-tls");
            var certificates = File.Exists(Path.Combine(tls, "server.pem"))
                ? new FlMicroservices.Testing.TestCertificates(Path.Combine(tls, "ca.pem"), Path.Combine(tls, "server.pem"), Path.Combine(tls, "server.key"))
                : FlMicroservices.Testing.TestCertificates.Create(tls);
            var port = Deployment.FreePort();
            var environment = new Dictionary<string, string>(Deployment.SharedSettings)
            {
                ["Storage__Root"] = Path.Combine(Deployment.Root, name.ToLowerInvariant()), // its identities and refusals (state/edge.db) are its own
                ["OperatorApi__SigningKeyFile"] = OperatorKeyFile, // operators' tokens from the deployment's development issuer
                ["Edge__CertificateFile"] = certificates.ServerCertificate,
                ["Edge__CertificateKeyFile"] = certificates.ServerKey,
                ["Edge__InstanceId"] = name.ToLowerInvariant(),
                ["Edge__MaxUploadBytes"] = EdgeUploadCap.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Edge__ModelRegistryUrl"] = $"http://127.0.0.1:{Deployment.Services["ModelRegistry"].HttpPort}",
            };
            foreach (var (key, value) in settings ?? new Dictionary<string, string>()) environment[key] = value;
            var process = new ServiceProcess(name, dll, ["--urls", $"https://127.0.0.1:{port}"], environment, Deployment.LogDirectory, httpPort: null);
            process.Start();
            var edge = new LiveEdge(process, new Uri($"https://127.0.0.1:{port}/"), certificates.CaCertificate);
            await edge.WaitReadyAsync(TimeSpan.FromSeconds(120));
            _edges[name] = edge;
            return edge;
        }
        finally
        {
            _edgeStart.Release();
        }
    }

    /// <summary>The development issuer's key file the services of the deployment share (what `fl token --key-file` takes).</summary>
    public string OperatorKeyFile => Path.Combine(Deployment.Root, DevelopmentIssuer.DefaultKeyFile);

    /// <summary>A hosted client's ECDSA P-256 signing key, as its node keeps it in its data folder (what a malicious node holds of its own clients).</summary>
    public SigningKeyPair SigningKeyOf(string clientId)
    {
        var file = $"{clientId}.{SigningAlgorithms.EcdsaP256}.key";
        var path = Directory.EnumerateFiles(Deployment.Root, file, SearchOption.AllDirectories).FirstOrDefault()
            ?? throw new FileNotFoundException($"No node keeps {file} under {Deployment.Root}");
        return SigningKeyPair.Import(SigningAlgorithms.EcdsaP256, File.ReadAllBytes(path));
    }

    /// <summary>A message as MassTransit's JSON envelope carries it on the broker.</summary>
    public static byte[] Envelope<T>(T message) where T : class => Envelope(typeof(T), JsonSerializer.SerializeToNode(message, SystemTextJsonMessageSerializer.Options)!);

    /// <summary>A message's JSON (possibly altered) in MassTransit's envelope for <paramref name="type"/>.</summary>
    public static byte[] Envelope(Type type, JsonNode message) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["messageId"] = Guid.NewGuid().ToString(),
        ["messageType"] = new JsonArray($"urn:message:{BrokerAccount.ExchangeOf(type)}"),
        ["sentTime"] = DateTimeOffset.UtcNow.ToString("O"),
        ["message"] = message,
    }.ToJsonString());

    /// <summary>Publishes a message as a node would (its broker user); the broker's reply code (403: ACCESS_REFUSED) or 0.</summary>
    public async Task<int> PublishAsNodeAsync<T>(T message) where T : class
    {
        var (user, password) = NodeCredentials();
        await using var connection = await ConnectAsync(user, password);
        return await PublishAsync(connection, BrokerAccount.ExchangeOf(typeof(T)), Envelope(message));
    }

    /// <summary>The node processes' broker user and password (what a malicious node holds).</summary>
    public (string User, string Password) NodeCredentials() =>
        ("fl-node", File.ReadAllText(Path.Combine(Deployment.BrokerAccountsDirectory, "node.password")).Trim());

    /// <summary>A connection to the deployment's broker as <paramref name="user"/> (over TLS, checked against the deployment's CA).</summary>
    public Task<IConnection> ConnectAsync(string user, string password) =>
        Factory(new UriBuilder(new Uri(Deployment.RabbitMqUrl)) { UserName = user, Password = password }.Uri, "attacker").CreateConnectionAsync();

    private ConnectionFactory Factory(Uri broker, string name)
    {
        var factory = new ConnectionFactory { Uri = broker, ClientProvidedName = name };
        if (BrokerTls.For(broker, new MessagingOptions { TlsCaCertificate = Deployment.BrokerCaCertificate }) is { } tls)
            factory.Ssl = new SslOption { Enabled = true, ServerName = tls.ServerName, Version = BrokerTls.Protocols, CertificateValidationCallback = tls.ValidateServer };
        return factory;
    }

    /// <summary>
    /// Publishes a raw body to an exchange with publisher confirms; the reply code the broker closed the channel with
    /// (403: ACCESS_REFUSED), or 0 when it took the message.
    /// </summary>
    public static async Task<int> PublishAsync(IConnection connection, string exchange, byte[] body, string contentType = "application/vnd.masstransit+json")
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        try
        {
            await channel.BasicPublishAsync(exchange, "", mandatory: false, new BasicProperties { ContentType = contentType, DeliveryMode = DeliveryModes.Persistent }, body);
            await channel.ExchangeDeclarePassiveAsync("amq.fanout"); // a refused publish closes the channel: a round trip shows it
            return 0;
        }
        catch (OperationInterruptedException e)
        {
            return e.ShutdownReason?.ReplyCode ?? -1;
        }
        catch (PublishException)
        {
            return channel.CloseReason?.ReplyCode ?? -1;
        }
    }

    /// <summary>Messages waiting in a queue (0 when it does not exist), read as the administrator.</summary>
    public async Task<uint> QueueDepthAsync(string queue)
    {
        await using var connection = await Factory(new Uri(Deployment.RabbitMqUrl), "security-suite").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    /// <summary>Whether a process's log holds <paramref name="text"/>.</summary>
    public static bool LogHas(ServiceProcess process, string text) =>
        File.Exists(process.LogPath) && ReadShared(process.LogPath).Contains(text, StringComparison.Ordinal);

    /// <summary>How many times a process's log holds <paramref name="text"/>.</summary>
    public static int LogCount(ServiceProcess process, string text)
    {
        if (!File.Exists(process.LogPath)) return 0;
        var log = ReadShared(process.LogPath);
        var count = 0;
        for (var at = log.IndexOf(text, StringComparison.Ordinal); at >= 0; at = log.IndexOf(text, at + text.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>A log file's text, read while its process still writes it.</summary>
    public static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
