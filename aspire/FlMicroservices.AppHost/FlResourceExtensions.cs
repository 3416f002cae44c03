namespace FlMicroservices.AppHost;

/// <summary>What each platform process uses: a connection string, the setting that selects the adapter, a wait for the server.</summary>
/// <remarks>
/// Resource names are the connection-string names the services read (kafka, redis, mongodb), so WithReference injects
/// exactly ConnectionStrings__kafka and so on (docs/deployment.md has the configuration table); the bus gets the broker's
/// address without the administrator's credentials (<see cref="WithBus"/>).
/// </remarks>
internal static class FlResourceExtensions
{
    /// <summary>
    /// The bus, as the broker user of <paramref name="account"/> (default: the resource's name, which is its account's for
    /// every service): the broker's address without credentials and the folder with only that account's password.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithBus(this IResourceBuilder<ProjectResource> project, Infrastructure infrastructure, string? account = null) =>
        project.WithEnvironment("ConnectionStrings__rabbitmq", infrastructure.BusAddress)
            .WithEnvironment("Messaging__AccountsDirectory", infrastructure.BrokerAccounts.Folder(account ?? project.Resource.Name))
            .WaitFor(infrastructure.RabbitMq.Server)
            .WithEnvironment("Messaging__Transport", "RabbitMq");

    public static IResourceBuilder<ProjectResource> WithUpdateStream(this IResourceBuilder<ProjectResource> project, Infrastructure infrastructure) =>
        project.WithDependency(infrastructure.Kafka).WithEnvironment("UpdateStream__Transport", "Kafka");

    public static IResourceBuilder<ProjectResource> WithHealthStore(this IResourceBuilder<ProjectResource> project, Infrastructure infrastructure) =>
        project.WithDependency(infrastructure.Redis).WithEnvironment("Health__Store", "Redis");

    /// <summary>MongoDB where the infrastructure has it, else the file model store in one absolute folder every process shares.</summary>
    public static IResourceBuilder<ProjectResource> WithModelStore(this IResourceBuilder<ProjectResource> project, Infrastructure infrastructure) =>
        infrastructure.MongoDb is { } mongo
            ? project.WithDependency(mongo).WithEnvironment("Storage__ModelStore", "MongoDb")
            : project.WithEnvironment("Storage__ModelStore", "File").WithEnvironment("Storage__ModelStoreRoot", infrastructure.ModelStoreRoot);

    /// <summary>A service with its readiness endpoint as the dashboard's health check.</summary>
    public static IResourceBuilder<ProjectResource> AsService(this IResourceBuilder<ProjectResource> project) =>
        project.WithHttpHealthCheck("/health/ready");

    /// <summary>The operator API's development issuer: one key file for every service (`fl token --key-file FILE` mints tokens).</summary>
    public static IResourceBuilder<ProjectResource> WithOperatorApi(this IResourceBuilder<ProjectResource> project, string signingKeyFile) =>
        project.WithEnvironment("OperatorApi__SigningKeyFile", signingKeyFile);

    private static IResourceBuilder<ProjectResource> WithDependency(this IResourceBuilder<ProjectResource> project, Dependency dependency) =>
        project.WithReference(dependency.Connection).WaitFor(dependency.Server);
}
