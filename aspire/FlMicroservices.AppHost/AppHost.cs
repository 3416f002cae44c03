// The FlMicroservices platform under Aspire: RabbitMQ, Redis and Kafka (and MongoDB with containers), the six services, the
// gateway, the operators' dashboard, the edge and the nodes, all in the Aspire dashboard. Without a container engine the
// infrastructure runs as local processes (Debian's rabbitmq-server and redis-server, librdkafka's mock Kafka cluster, the
// file model store); aspire/README.md says how to choose. Settings: section "Fl" (AppHostSettings).
using FlMicroservices.AppHost;

var builder = DistributedApplication.CreateBuilder(args);
var settings = AppHostSettings.From(builder.Configuration, builder.AppHostDirectory);
Console.WriteLine($"FlMicroservices AppHost: infrastructure as {(settings.UseContainers ? "containers" : "local processes")} ({settings.InfrastructureReason}); data in {settings.DataRoot}");
var credentials = Credentials.Add(builder, persist: settings.UseContainers);
var infrastructure = settings.UseContainers
    ? ContainerInfrastructure.Add(builder, settings, credentials)
    : LocalInfrastructure.Add(builder, settings, credentials);

// The operator API's tokens are signed with this key (made by the first service that starts); docs/operator-api.md.
var signingKey = Path.Combine(settings.Folder("secrets"), "operator-signing.key");

// Validation data a task names by path (MNIST folders, IDX pairs) is looked up under this folder. Nodes download model
// versions from this service over HTTP (digest checked), as in a deployment, instead of sharing its store.
var modelRegistry = builder.AddProject<Projects.FlMicroservices_ModelRegistry_Host>("model-registry")
    .WithBus(infrastructure).WithModelStore(infrastructure).AsService().WithOperatorApi(signingKey)
    .WithEnvironment("Validation__DataRoot", settings.Folder("validation"))
    .WithEnvironment("Storage__StateRoot", settings.Folder("state"));
// Each service's state (docs/state.md): a SQLite file per service in one folder of the data root.
var registry = builder.AddProject<Projects.FlMicroservices_Registry_Host>("registry")
    .WithBus(infrastructure).WithHealthStore(infrastructure).AsService().WithOperatorApi(signingKey)
    .WithEnvironment("Storage__StateRoot", settings.Folder("state"));
var selector = builder.AddProject<Projects.FlMicroservices_Selector_Host>("selector")
    .WithBus(infrastructure).WithHealthStore(infrastructure).AsService().WithOperatorApi(signingKey)
    .WithEnvironment("Storage__StateRoot", settings.Folder("state"));
// The privacy ledger's journal: a restarted service continues every task's epsilon where it stood.
var privacy = builder.AddProject<Projects.FlMicroservices_PrivacyAccounting_Host>("privacy-accounting")
    .WithBus(infrastructure).AsService().WithOperatorApi(signingKey)
    .WithEnvironment("PrivacyAccounting__LedgerDirectory", settings.Folder("ledger"));
var reward = builder.AddProject<Projects.FlMicroservices_Reward_Host>("reward")
    .WithBus(infrastructure).AsService().WithOperatorApi(signingKey)
    .WithEnvironment("Storage__StateRoot", settings.Folder("state"));
var services = new[]
{
    registry,
    selector,
    // Durable checkpoints: Kafka offsets are committed only once the slices they cover are checkpointed, so a restarted
    // aggregator resumes its open rounds.
    builder.AddProject<Projects.FlMicroservices_Aggregation_Host>("aggregation")
        .WithBus(infrastructure).WithUpdateStream(infrastructure).WithModelStore(infrastructure).AsService()
        .WithEnvironment("Aggregation__CheckpointDirectory", settings.Folder("checkpoints")),
    privacy,
    modelRegistry,
    reward,
};

// Nodes of virtual clients, each with its own share of one synthetic data set, started once every service is ready.
// (Not WithReplicas: each node needs its own --node-id.)
for (var i = 1; i <= settings.Nodes; i++)
{
    var node = builder.AddProject<Projects.Fl_Cli>($"node-{i}")
        .WithArgs("node", "--clients", settings.ClientsPerNode.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--dataset", "synthetic", "--node-id", $"node-{i}",
            "--part", (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--of", settings.Nodes.ToString(System.Globalization.CultureInfo.InvariantCulture))
        .WithBus(infrastructure, account: "node").WithUpdateStream(infrastructure)
        .WithEnvironment("Node__ModelRegistryUrl", modelRegistry.GetEndpoint("http"));
    foreach (var service in services) node.WaitFor(service);
}

// The operators' one base URL (docs/operator-api.md): the services' operator APIs behind a YARP reverse proxy, with
// the audit log of operator actions in the state folder.
var gateway = builder.AddProject<Projects.FlMicroservices_Gateway_Host>("gateway")
    .WithOperatorApi(signingKey).WithEnvironment("Storage__StateRoot", settings.Folder("state"))
    .WithEnvironment("Gateway__ModelRegistryUrl", modelRegistry.GetEndpoint("http"))
    .WithEnvironment("Gateway__RegistryUrl", registry.GetEndpoint("http"))
    .WithEnvironment("Gateway__SelectorUrl", selector.GetEndpoint("http"))
    .WithEnvironment("Gateway__RewardUrl", reward.GetEndpoint("http"))
    .WithEnvironment("Gateway__PrivacyAccountingUrl", privacy.GetEndpoint("http"))
    .WaitFor(modelRegistry).WaitFor(registry).WaitFor(selector).WaitFor(reward).WaitFor(privacy).AsService();

// The operators' dashboard (docs/dashboard.md): pages over the gateway, live from the bus; single-user mode for this local
// run (it listens on localhost): it acts as a data scientist with tokens it mints from the same key, and nobody signs in.
builder.AddProject<Projects.FlMicroservices_Dashboard_Host>("dashboard")
    .WithBus(infrastructure).WithOperatorApi(signingKey)
    .WithEnvironment("Dashboard__ApiUrl", gateway.GetEndpoint("http"))
    .WithEnvironment("Dashboard__SingleUser", "true")
    .WithEnvironment("Dashboard__DevelopmentIssuerRole", "data-scientist")
    .WaitFor(gateway).AsService();

// The edge for nodes outside the cluster (docs/edge.md): HTTPS only, with a certificate of a private CA made in the data root
// at every start (edge-tls/ca.pem is what `fl node --edge https://127.0.0.1:PORT --edge-ca` takes); its enrolments, refusals
// and the audit entries of operators' calls to /api/edge sit in the state folder beside the gateway's.
var edgeTls = FlMicroservices.Testing.TestCertificates.Create(settings.Folder("edge-tls"));
builder.AddProject<Projects.FlMicroservices_Edge_Host>("edge")
    .WithBus(infrastructure).WithUpdateStream(infrastructure).WithOperatorApi(signingKey)
    .WithEnvironment("Storage__StateRoot", settings.Folder("state"))
    .WithEnvironment("Edge__CertificateFile", edgeTls.ServerCertificate)
    .WithEnvironment("Edge__CertificateKeyFile", edgeTls.ServerKey)
    .WithEnvironment("Edge__ModelRegistryUrl", modelRegistry.GetEndpoint("http"))
    .WaitFor(modelRegistry);

builder.Build().Run();
