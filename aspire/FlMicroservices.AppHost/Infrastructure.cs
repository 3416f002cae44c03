namespace FlMicroservices.AppHost;

/// <summary>A broker or store: the connection-string resource the services reference and the server resource they wait for.</summary>
internal sealed record Dependency(IResourceBuilder<IResourceWithConnectionString> Connection, IResourceBuilder<IResource> Server);

/// <summary>What the services and nodes connect to, whichever way it runs (local processes or containers).</summary>
/// <param name="RabbitMq">The broker, with the administrator's connection string (operators, the CLI, tests).</param>
/// <param name="MongoDb">The MongoDB model store, or null for the file model store in <paramref name="ModelStoreRoot"/>.</param>
/// <param name="BusAddress">The broker's address without credentials: processes connect as their own account's user.</param>
/// <param name="BrokerAccounts">Each process kind's broker user and password folder.</param>
internal sealed record Infrastructure(Dependency RabbitMq, Dependency Redis, Dependency Kafka, Dependency? MongoDb, string ModelStoreRoot,
    ReferenceExpression BusAddress, BrokerAccountFiles BrokerAccounts);
