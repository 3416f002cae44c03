// The FlMicroservices platform under Aspire: the four brokers and stores as containers, the six services and three nodes as
// projects, all in the dashboard. Resource names are the connection-string names the services read, so WithReference
// injects exactly ConnectionStrings__rabbitmq, __kafka, __redis and __mongodb (docs/deployment.md has the table).

var builder = DistributedApplication.CreateBuilder(args);

var rabbitmq = builder.AddRabbitMQ("rabbitmq").WithManagementPlugin();
var kafka = builder.AddKafka("kafka")
    .WithEnvironment("KAFKA_NUM_PARTITIONS", "4"); // topics are auto-created; the update stream spreads slices over 4
var mongodb = builder.AddMongoDB("mongo").AddDatabase("mongodb", databaseName: "fl");
var redis = builder.AddRedis("redis");

var registry = builder.AddProject<Projects.FlMicroservices_Registry_Host>("registry")
    .WithBus(rabbitmq).WithHealthStore(redis).WithHttpHealthCheck("/health/ready");
var selector = builder.AddProject<Projects.FlMicroservices_Selector_Host>("selector")
    .WithBus(rabbitmq).WithHealthStore(redis).WithHttpHealthCheck("/health/ready");
var aggregation = builder.AddProject<Projects.FlMicroservices_Aggregation_Host>("aggregation")
    .WithBus(rabbitmq).WithUpdateStream(kafka).WithModelStore(mongodb).WithHttpHealthCheck("/health/ready");
var privacyAccounting = builder.AddProject<Projects.FlMicroservices_PrivacyAccounting_Host>("privacy-accounting")
    .WithBus(rabbitmq).WithHttpHealthCheck("/health/ready");
var modelRegistry = builder.AddProject<Projects.FlMicroservices_ModelRegistry_Host>("model-registry")
    .WithBus(rabbitmq).WithModelStore(mongodb).WithHttpHealthCheck("/health/ready");
var reward = builder.AddProject<Projects.FlMicroservices_Reward_Host>("reward")
    .WithBus(rabbitmq).WithHttpHealthCheck("/health/ready");

// Three nodes of 10 virtual clients, each with its own third of one synthetic data set. They start once every service
// reports ready. (Not WithReplicas: each node needs its own --node-id.)
for (var i = 1; i <= 3; i++)
{
    builder.AddProject<Projects.Fl_Cli>($"node-{i}")
        .WithArgs("node", "--clients", "10", "--dataset", "synthetic", "--node-id", $"node-{i}", "--part", $"{i - 1}", "--of", "3")
        .WithBus(rabbitmq).WithUpdateStream(kafka).WithModelStore(mongodb)
        .WaitFor(registry).WaitFor(selector).WaitFor(aggregation)
        .WaitFor(privacyAccounting).WaitFor(modelRegistry).WaitFor(reward);
}

builder.Build().Run();

/// <summary>Each adapter a process uses: its connection string, the setting that selects it, and a wait for the resource.</summary>
internal static class FlResourceExtensions
{
    public static IResourceBuilder<ProjectResource> WithBus(
        this IResourceBuilder<ProjectResource> project, IResourceBuilder<IResourceWithConnectionString> rabbitmq) =>
        project.WithReference(rabbitmq).WaitFor(rabbitmq).WithEnvironment("Messaging__Transport", "RabbitMq");

    public static IResourceBuilder<ProjectResource> WithUpdateStream(
        this IResourceBuilder<ProjectResource> project, IResourceBuilder<IResourceWithConnectionString> kafka) =>
        project.WithReference(kafka).WaitFor(kafka).WithEnvironment("UpdateStream__Transport", "Kafka");

    public static IResourceBuilder<ProjectResource> WithHealthStore(
        this IResourceBuilder<ProjectResource> project, IResourceBuilder<IResourceWithConnectionString> redis) =>
        project.WithReference(redis).WaitFor(redis).WithEnvironment("Health__Store", "Redis");

    public static IResourceBuilder<ProjectResource> WithModelStore(
        this IResourceBuilder<ProjectResource> project, IResourceBuilder<IResourceWithConnectionString> mongodb) =>
        project.WithReference(mongodb).WaitFor(mongodb).WithEnvironment("Storage__ModelStore", "MongoDb");
}
