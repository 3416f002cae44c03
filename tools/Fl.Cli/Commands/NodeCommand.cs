using System.CommandLine;
using System.Globalization;
using FlMicroservices.Infrastructure;
using FlMicroservices.Node;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace FlMicroservices.Cli.Commands;

/// <summary>
/// `fl node`: joins a running deployment. Registers its clients with the registry, heartbeats, trains when selected and
/// streams each update to the update stream (Kafka in a deployment). One process hosts one real client with its own data
/// or many virtual clients for load tests.
/// </summary>
/// <remarks>
/// Brokers and stores come from configuration like the services' (appsettings.json beside fl, environment variables such as
/// Messaging__Transport=RabbitMq and ConnectionStrings__rabbitmq, see docs/deployment.md); --rabbitmq, --kafka and
/// --model-store and --model-registry override them. The node downloads the global model of each round from the model registry
/// service (--model-registry / Node:ModelRegistryUrl), or reads it from the model store when no URL is given.
/// </remarks>
public static class NodeCommand
{
    public static Command Create()
    {
        var nodeId = new Option<string>("--node-id") { Description = "This node's name; its clients are <node-id>-c000, <node-id>-c001, ...", DefaultValueFactory = _ => Environment.MachineName.ToLowerInvariant() };
        var clients = new Option<int>("--clients") { Description = "Clients hosted by this process (1 for a real client, more for load tests)", DefaultValueFactory = _ => 1 };
        var dataset = new Option<string>("--dataset") { Description = "synthetic[:alpha,beta] | synthetic-iid | mnist (with --data-dir)", DefaultValueFactory = _ => "synthetic:1,1" };
        var dataDir = new Option<string?>("--data-dir") { Description = "This node's data folder (MNIST IDX files)" };
        var datasetName = new Option<string?>("--dataset-name") { Description = "The data set name the clients advertise, which tasks select on (default: synthetic or mnist, from --dataset)" };
        var partition = new Option<string?>("--partition") { Description = "How the data set is split among clients: iid | shards[:k] | dirichlet:alpha" };
        var part = new Option<int>("--part") { Description = "Which share of the data this node takes (0-based), with --of", DefaultValueFactory = _ => 0 };
        var of = new Option<int>("--of") { Description = "Number of nodes the data set is split over", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the data generation and split", DefaultValueFactory = _ => 1 };
        var parallelism = new Option<int>("--parallelism") { Description = "Clients that train at once", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount) };
        var rabbitmq = new Option<string?>("--rabbitmq") { Description = "amqp:// URI of the RabbitMQ broker (sets Messaging:Transport=RabbitMq)" };
        var kafka = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers host:port[,...] (sets UpdateStream:Transport=Kafka)" };
        var modelStore = new Option<string?>("--model-store") { Description = "Root folder of the file model store shared with the services (without --model-registry)" };
        var modelRegistry = new Option<string?>("--model-registry") { Description = "http:// URL of the model registry service to download model versions from (sets Node:ModelRegistryUrl)" };
        var submitDelay = new Option<double>("--submit-delay") { Description = "Seconds to wait between training and streaming (simulated slow uplink)", DefaultValueFactory = _ => 0 };
        var trainingWindow = new Option<string?>("--training-window")
        {
            Description = "Idle-only schedule: train only inside this daily window of local time, HH:mm-HH:mm (22:00-06:00 runs past midnight; sets Node:TrainingWindow)",
        };
        var memoryBudget = new Option<int?>("--memory-budget")
        {
            Description = "The most memory the node may hold while its clients train, in MiB: fewer train at once, or they decline a round that does not fit (sets Node:MemoryBudgetMb)",
        };
        var signingKeys = new Option<string?>("--signing-keys")
        {
            Description = "Signing algorithms the clients hold keys for, comma-separated (default: ecdsa-p256,ml-dsa-65, so tasks of either kind run; sets Node:SigningAlgorithms)",
        };
        var edge = new Option<string?>("--edge") { Description = "https:// URL of the edge: the node goes only through it, with no broker or store credentials (docs/edge.md)" };
        var enrolToken = new Option<string?>("--enrol-token") { Description = "The operator's one-time enrolment token (first run with --edge only; the identity is then kept under the data root)" };
        var edgeCa = new Option<string?>("--edge-ca") { Description = "PEM file of the certificate authority of the edge's certificate (default: the system's trust store)" };
        var command = new Command("node", "Join a running deployment as a node hosting one or more clients")
        {
            nodeId, clients, dataset, dataDir, datasetName, partition, part, of, seed, parallelism, rabbitmq, kafka, modelStore, modelRegistry, submitDelay,
            edge, enrolToken, edgeCa, trainingWindow, memoryBudget, signingKeys,
        };
        command.Subcommands.Add(EnrolTokenCommand.Create());
        command.SetAction(async (parse, cancellationToken) =>
        {
            var id = parse.GetValue(nodeId)!;
            var count = parse.GetValue(clients);
            var share = parse.GetValue(part);
            var shares = parse.GetValue(of);
            if (!Contracts.Identifiers.IsValid(id + "-c000"))
                return Invalid($"--node-id '{id}' is not valid: {Contracts.Identifiers.Rule} (with room for a -c000 suffix)");
            if (count is < 1 or > 100_000) return Invalid($"--clients {count} must be between 1 and 100000");
            if (shares < 1 || share < 0 || share >= shares) return Invalid($"--part {share} --of {shares}: the part must be in [0, of)");
            if (parse.GetValue(submitDelay) is var delay && !(delay >= 0 && delay <= 3600)) return Invalid($"--submit-delay {delay} must be in [0, 3600] seconds");
            if (parse.GetValue(parallelism) is var threads && threads is < 1 or > 1_024) return Invalid($"--parallelism {threads} must be between 1 and 1024");
            if (parse.GetValue(modelStore) is { } store && OptionChecks.WritableFolder("--model-store", store) is { } unwritable) return Invalid(unwritable);
            if (parse.GetValue(dataDir) is { } folder && OptionChecks.ReadableFolder("--data-dir", folder) is { } unreadable) return Invalid(unreadable);
            if (parse.GetValue(trainingWindow) is { } window && DailyWindow.Parse(window, out var badWindow) is null) return Invalid($"--training-window {badWindow}");
            if (parse.GetValue(memoryBudget) is { } budget && budget is < 64 or > 16 * 1024 * 1024)
                return Invalid($"--memory-budget {budget} must be between 64 and {16 * 1024 * 1024} MiB");
            var edgeUrl = parse.GetValue(edge);
            if (edgeUrl is null && (parse.GetValue(enrolToken) ?? parse.GetValue(edgeCa)) is not null) return Invalid("--enrol-token and --edge-ca need --edge");
            if (edgeUrl is not null)
            {
                if (OperatorApi.BadUrl("--edge", edgeUrl, out _) is { } badEdge) return Invalid(badEdge);
                var direct = new[] { ("--rabbitmq", parse.GetValue(rabbitmq)), ("--kafka", parse.GetValue(kafka)), ("--model-store", parse.GetValue(modelStore)), ("--model-registry", parse.GetValue(modelRegistry)) }
                    .FirstOrDefault(o => o.Item2 is not null).Item1;
                if (direct is not null) return Invalid($"{direct} cannot be combined with --edge: a node behind the edge holds no broker or store credentials");
                if (parse.GetValue(edgeCa) is { } ca && !File.Exists(ca)) return Invalid($"--edge-ca '{ca}' does not exist");
            }
            var setup = new NodeClientsOptions
            {
                Id = id,
                Clients = count,
                Dataset = parse.GetValue(dataset)!,
                DataDir = parse.GetValue(dataDir),
                DatasetName = parse.GetValue(datasetName),
                Partition = parse.GetValue(partition),
                Part = share,
                Of = shares,
                Seed = parse.GetValue(seed),
            };
            if (!Contracts.Identifiers.IsValid(setup.AdvertisedDataset)) return Invalid($"--dataset-name '{setup.AdvertisedDataset}' is not valid: {Contracts.Identifiers.Rule}");
            NodeClients hosted;
            try
            {
                hosted = NodeClients.Load(setup);
                Console.Error.WriteLine($"fl node {id}: {hosted.Description}");
            }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException)
            {
                return Invalid(e.Message);
            }
            var overrides = new Dictionary<string, string?>
            {
                ["Node:Parallelism"] = parse.GetValue(parallelism).ToString(CultureInfo.InvariantCulture),
                ["Node:SubmitDelay"] = TimeSpan.FromSeconds(parse.GetValue(submitDelay)).ToString("c", CultureInfo.InvariantCulture),
            };
            if (parse.GetValue(rabbitmq) is { } uri) { overrides["Messaging:Transport"] = "RabbitMq"; overrides["ConnectionStrings:rabbitmq"] = uri; }
            if (parse.GetValue(kafka) is { } bootstrap) { overrides["UpdateStream:Transport"] = "Kafka"; overrides["ConnectionStrings:kafka"] = bootstrap; }
            if (parse.GetValue(modelStore) is { } root) overrides["Storage:ModelStoreRoot"] = Path.GetFullPath(root);
            if (parse.GetValue(modelRegistry) is { } registryUrl) overrides["Node:ModelRegistryUrl"] = registryUrl;
            if (parse.GetValue(trainingWindow) is { } dailyWindow) overrides["Node:TrainingWindow"] = dailyWindow;
            if (parse.GetValue(memoryBudget) is { } megabytes) overrides["Node:MemoryBudgetMb"] = megabytes.ToString(CultureInfo.InvariantCulture);
            if (parse.GetValue(signingKeys) is { } keys)
            {
                var named = keys.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (named.Length == 0 || named.Any(a => !Contracts.V1.SigningAlgorithms.Keyed.Contains(a)))
                    return Invalid($"--signing-keys '{keys}' must name one or more of {string.Join(", ", Contracts.V1.SigningAlgorithms.Keyed)}");
                for (var i = 0; i < named.Length; i++) overrides[$"Node:SigningAlgorithms:{i}"] = named[i];
            }
            if (edgeUrl is not null)
            {
                overrides["Node:EdgeUrl"] = edgeUrl;
                overrides["Node:EnrolToken"] = parse.GetValue(enrolToken);
                if (parse.GetValue(edgeCa) is { } ca) overrides["Node:EdgeCaFile"] = Path.GetFullPath(ca);
            }
            try
            {
                using var host = Build(id, hosted.Clients, overrides);
                await host.RunAsync(cancellationToken);
                return CliRunner.Ok;
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith("Invalid configuration", StringComparison.Ordinal))
            {
                return Invalid(e.Message);
            }
            catch (HttpRequestException e) when (edgeUrl is not null)
            {
                Console.Error.WriteLine($"fl node: the edge at {edgeUrl} cannot be reached: {e.Message}");
                return CliRunner.Failed;
            }
        });
        return command;
    }

    // The same composition as the node host (services/Node/FlMicroservices.Node.Host), with the options as settings.
    private static IHost Build(string nodeId, IReadOnlyList<HostedClient> clients, Dictionary<string, string?> overrides)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.AddFlSecretFiles(); // e.g. ConnectionStrings__rabbitmq from /run/secrets in a container
        builder.Configuration.AddInMemoryCollection(overrides);
        builder.AddNodeProcess(nodeId, clients);
        return builder.Build();
    }

    private static int Invalid(string message)
    {
        Console.Error.WriteLine($"fl node: {message}");
        return CliRunner.InvalidOption;
    }
}
