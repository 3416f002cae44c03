using System.Net;
using System.Net.Sockets;
using FlMicroservices.KafkaMock;
using FlMicroservices.Testing;

namespace FlMicroservices.Distributed.Tests;

/// <summary>
/// The six services and three nodes, each its own OS process, wired by a real RabbitMQ and Redis (throwaway local servers
/// unless FL_RABBITMQ_URL / FL_REDIS_URL name others), the Kafka-protocol mock cluster hosted by this test process, and a
/// file model store shared by the services through a folder; nodes download model versions from the model registry over HTTP.
/// What a user gets from scripts/infra.sh plus `dotnet run` of each service.
/// </summary>
public sealed class Deployment : IAsyncDisposable
{
    public static readonly string[] ServiceNames = ["Registry", "Selector", "Aggregation", "PrivacyAccounting", "ModelRegistry", "Reward"];

    private readonly List<IAsyncDisposable> _servers = [];
    private MockKafkaCluster? _kafka;

    private Deployment(string root) => Root = root;

    public string Root { get; }
    public string ModelStoreRoot => Path.Combine(Root, "models");
    public string CheckpointDirectory => Path.Combine(Root, "aggregation-checkpoints");
    public string LogDirectory => Path.Combine(Root, "logs");

    /// <summary>The broker accounts' password files (Messaging:AccountsDirectory), when the deployment's broker is its own.</summary>
    public string BrokerAccountsDirectory => Path.Combine(Root, "broker-accounts");
    public string RabbitMqUrl { get; private set; } = "";
    public string KafkaBootstrap { get; private set; } = "";
    public string Topic { get; } = $"fl.updates.{Guid.NewGuid():N}";
    public Dictionary<string, ServiceProcess> Services { get; } = new(StringComparer.Ordinal);
    public List<ServiceProcess> Nodes { get; } = [];

    /// <summary>Starts the infrastructure and the six services and waits until each reports ready; nodes come with <see cref="StartNodes"/>.</summary>
    /// <param name="aggregationShards">Aggregation processes, sharded by slice (1: one process named "Aggregation"; K: "Aggregation-0" .. "Aggregation-{K-1}").</param>
    /// <param name="settings">Per service, settings that replace the deployment's (e.g. a store of its own).</param>
    /// <param name="restartable">Servers the test may restart (never the environment's); RabbitMQ from FL_RABBITMQ_URL is used only when false.</param>
    /// <param name="tlsOnlyBroker">A throwaway local RabbitMQ that speaks only AMQPS, its certificate signed by a private CA made for the deployment;
    /// every process connects over amqps:// and checks it against that CA (Messaging:TlsCaCertificate).</param>
    public static async Task<Deployment> StartAsync(int aggregationShards = 1, bool restartable = false, IReadOnlyDictionary<string, Dictionary<string, string>>? settings = null,
        bool tlsOnlyBroker = false)
    {
        var deployment = new Deployment(Path.Combine(Path.GetTempPath(), "fl-deploy-" + Guid.NewGuid().ToString("N")[..12]))
        {
            AggregationShards = aggregationShards,
            Restartable = restartable,
            TlsOnlyBroker = tlsOnlyBroker,
            Overrides = settings ?? new Dictionary<string, Dictionary<string, string>>(),
        };
        Directory.CreateDirectory(deployment.LogDirectory);
        try
        {
            await deployment.StartInfrastructureAsync();
            await deployment.StartServicesAsync();
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    private IReadOnlyDictionary<string, string> Environment { get; set; } = new Dictionary<string, string>();

    public int AggregationShards { get; private init; } = 1;

    private bool Restartable { get; init; }

    private bool TlsOnlyBroker { get; init; }

    /// <summary>The TLS-only broker when the deployment was started with one (its plain and AMQPS ports, its log folder); else null.</summary>
    public LocalRabbitMqServer? TlsBroker { get; private set; }

    /// <summary>The private CA that signed the TLS-only broker's certificate (PEM), or null.</summary>
    public string? BrokerCaCertificate { get; private set; }

    /// <summary>The broker, which a test may restart when the deployment was started restartable.</summary>
    public ServerInstance RabbitMq { get; private set; } = null!;

    /// <summary>The client-health store's server (without persistence: a restart loses every record).</summary>
    public ServerInstance Redis { get; private set; } = null!;

    /// <summary>The folder the model registry resolves validation data paths against: the shared data beside the checkout.</summary>
    public static string ValidationDataRoot => Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "data"));

    private IReadOnlyDictionary<string, Dictionary<string, string>> Overrides { get; init; } = new Dictionary<string, Dictionary<string, string>>();

    /// <summary>The settings every process of the deployment shares (broker, stream, health store, model store).</summary>
    public IReadOnlyDictionary<string, string> SharedSettings => Environment;

    private async Task StartInfrastructureAsync()
    {
        var rabbit = TlsOnlyBroker ? await StartTlsOnlyBrokerAsync() : await ServerFixtures.RabbitMqAsync(stoppable: Restartable);
        _servers.Add(rabbit);
        RabbitMq = rabbit;
        var redis = await ServerFixtures.RedisAsync(stoppable: Restartable);
        _servers.Add(redis);
        Redis = redis;
        _kafka = new MockKafkaCluster();
        _kafka.CreateTopic(Topic);
        RabbitMqUrl = rabbit.ConnectionString;
        KafkaBootstrap = _kafka.BootstrapServers;
        // Each service and node connects as its own broker user, as scripts/infra.sh sets it up (a broker from the environment: its user).
        if (rabbit.AddUser is { } addUser)
        {
            Directory.CreateDirectory(BrokerAccountsDirectory);
            foreach (var account in FlMicroservices.Infrastructure.Messaging.BrokerAccounts.All)
            {
                var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
                var (configure, write, read) = account.Permissions();
                await addUser(new BrokerUser(account.User, password, configure, write, read));
                await File.WriteAllTextAsync(Path.Combine(BrokerAccountsDirectory, account.Name + ".password"), password);
            }
        }
        Environment = new Dictionary<string, string>
        {
            ["Messaging__Transport"] = "RabbitMq",
            ["ConnectionStrings__rabbitmq"] = RabbitMqUrl,
            ["UpdateStream__Transport"] = "Kafka",
            ["UpdateStream__Topic"] = Topic,
            ["ConnectionStrings__kafka"] = KafkaBootstrap,
            ["Messaging__AccountsDirectory"] = rabbit.AddUser is null ? "" : BrokerAccountsDirectory,
            ["Health__Store"] = "Redis",
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["Redis__KeyPrefix"] = $"fl:{Guid.NewGuid():N}:",
            ["Storage__Root"] = Root, // the services' state files (state/<service>.db) belong to this deployment
            ["Storage__ModelStoreRoot"] = ModelStoreRoot,
            ["Aggregation__CheckpointDirectory"] = CheckpointDirectory,
            ["Aggregation__CheckpointInterval"] = "00:00:00.200",
            ["Validation__DataRoot"] = ValidationDataRoot,
            ["Node__HeartbeatInterval"] = "00:00:01",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__MassTransit"] = "Warning",
            ["Logging__LogLevel__Microsoft"] = "Warning",
        };
        if (BrokerCaCertificate is not null) Environment = new Dictionary<string, string>(Environment) { ["Messaging__TlsCaCertificate"] = BrokerCaCertificate };
    }

    private async Task<ServerInstance> StartTlsOnlyBrokerAsync()
    {
        if (!LocalRabbitMqServer.IsInstalled) throw new InvalidOperationException("A TLS-only broker needs the Debian package rabbitmq-server (a throwaway local node).");
        var certificates = TestCertificates.Create(Path.Combine(Root, "broker-tls"));
        var local = await LocalRabbitMqServer.StartTlsOnlyAsync(certificates);
        TlsBroker = local;
        BrokerCaCertificate = certificates.CaCertificate;
        return new ServerInstance(local.TlsConnectionString, $"{local} (AMQPS only, port {local.TlsPort})", ServerSource.Local, local.StopAsync, local.DisposeAsync,
            () => local.RestartAsync())
        {
            AddUser = user => local.AddUserAsync(user),
        };
    }

    private async Task StartServicesAsync()
    {
        foreach (var name in ServiceNames)
        {
            var dll = Path.Combine(RepositoryPaths.Root, "services", name, $"FlMicroservices.{name}.Host", "bin", RepositoryPaths.Configuration, "net10.0", $"FlMicroservices.{name}.Host.dll");
            var instances = name == "Aggregation" && AggregationShards > 1
                ? Enumerable.Range(0, AggregationShards).Select(k => ($"{name}-{k}", new Dictionary<string, string>(Environment)
                {
                    ["Aggregation__ShardCount"] = AggregationShards.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Aggregation__ShardIndex"] = k.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Aggregation__CheckpointDirectory"] = Path.Combine(CheckpointDirectory, $"shard-{k}"),
                })).ToList()
                : [(name, new Dictionary<string, string>(Environment))];
            foreach (var (instance, environment) in instances)
            {
                foreach (var (key, value) in Overrides.GetValueOrDefault(name) ?? []) environment[key] = value;
                var service = new ServiceProcess(instance, dll, [], environment, LogDirectory, FreePort());
                Services[instance] = service;
                service.Start();
            }
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var service in Services.Values) await service.WaitReadyAsync(http, TimeSpan.FromSeconds(120));
    }

    /// <param name="submitDelays">Per node, seconds between training and streaming (one entry per node).</param>
    /// <param name="clientsPerNode">Clients each node hosts.</param>
    /// <param name="nodeHosts">How many of the nodes (the last ones) run as the node host with the same settings instead of `fl node`.</param>
    public void StartNodes(double[] submitDelays, int clientsPerNode, int nodeHosts = 0)
    {
        for (var i = 0; i < submitDelays.Length; i++)
        {
            var delay = submitDelays[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (i >= submitDelays.Length - nodeHosts)
            {
                StartNodeHost($"node-{i + 1}", new()
                {
                    ["Node__Clients"] = clientsPerNode.ToString(), ["Node__Dataset"] = "synthetic:1,1", ["Node__Part"] = i.ToString(),
                    ["Node__Of"] = submitDelays.Length.ToString(), ["Node__Seed"] = "1", ["Node__Parallelism"] = "1",
                    ["Node__SubmitDelay"] = TimeSpan.FromSeconds(submitDelays[i]).ToString("c", System.Globalization.CultureInfo.InvariantCulture),
                });
                continue;
            }
            StartNode($"node-{i + 1}",
                "--clients", clientsPerNode.ToString(), "--dataset", "synthetic:1,1",
                "--part", i.ToString(), "--of", submitDelays.Length.ToString(), "--seed", "1", "--parallelism", "1",
                "--submit-delay", delay);
        }
    }

    /// <summary>Starts one node host process (services/Node/FlMicroservices.Node.Host) named <paramref name="nodeId"/> with these Node__* settings.</summary>
    public void StartNodeHost(string nodeId, Dictionary<string, string> settings)
    {
        var dll = Path.Combine(RepositoryPaths.Root, "services", "Node", "FlMicroservices.Node.Host", "bin", RepositoryPaths.Configuration, "net10.0", "FlMicroservices.Node.Host.dll");
        var environment = new Dictionary<string, string>(Environment)
        {
            ["Node__Id"] = nodeId,
            ["Node__ModelRegistryUrl"] = $"http://127.0.0.1:{Services["ModelRegistry"].HttpPort}",
        };
        foreach (var (key, value) in settings) environment[key] = value;
        var node = new ServiceProcess(nodeId, dll, [], environment, LogDirectory, httpPort: null);
        Nodes.Add(node);
        node.Start();
    }

    /// <summary>Starts one `fl node` process named <paramref name="nodeId"/> with these further options (data set, clients, ...).</summary>
    public void StartNode(string nodeId, params string[] arguments)
    {
        var fl = Path.Combine(RepositoryPaths.Root, "tools", "Fl.Cli", "bin", RepositoryPaths.Configuration, "net10.0", "fl.dll");
        // Models over HTTP from the model registry, as users deploy nodes.
        var node = new ServiceProcess(nodeId, fl,
            ["node", "--node-id", nodeId, "--model-registry", $"http://127.0.0.1:{Services["ModelRegistry"].HttpPort}", .. arguments],
            Environment, LogDirectory, httpPort: null);
        Nodes.Add(node);
        node.Start();
    }

    /// <summary>Every process's log tail, for failure messages.</summary>
    public string Logs() => string.Join("\n", Services.Values.Concat(Nodes).Select(p => $"---- {p.Name} ({p.LogPath})\n{p.Tail(25)}"));

    public static int FreePort() => ProcessRunner.FreePort();

    public async ValueTask DisposeAsync()
    {
        foreach (var process in Nodes.Concat(Services.Values)) await process.DisposeAsync();
        _kafka?.Dispose();
        foreach (var server in _servers) await server.DisposeAsync();
        // Logs stay for inspection when a test failed; the folder is in the temp directory.
    }
}

/// <summary>Where the repository and its build outputs are.</summary>
public static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("FlMicroservices.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The configuration this test assembly was built in (Release or Debug): the services are taken from the same.</summary>
    public static string Configuration =>
        AppContext.BaseDirectory.Replace('\\', '/').Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
}
