
namespace FlMicroservices.AppHost;

/// <summary>
/// Infrastructure as containers, where a container engine runs: Aspire's RabbitMQ (management plugin) and Redis (append-only
/// persistence) integrations, and Kafka (KRaft, one broker) and MongoDB as plain containers (their Aspire integrations are
/// not on the package mirror), each with a named data volume.
/// </summary>
internal static class ContainerInfrastructure
{
    public static Infrastructure Add(IDistributedApplicationBuilder builder, AppHostSettings settings, Credentials credentials)
    {
        // The broker imports the accounts at every start (load_definitions), so regenerated passwords replace the volume's.
        var accounts = BrokerAccountFiles.Add(builder, settings, credentials);
        var definitionsConf = Path.Combine(accounts.Root, "definitions.conf");
        File.WriteAllText(definitionsConf, "load_definitions = /etc/rabbitmq/definitions.json\n");
        var rabbit = builder.AddRabbitMQ("rabbitmq", credentials.RabbitMqUser, credentials.RabbitMqPassword)
            .WithDataVolume("fl-rabbitmq-data").WithManagementPlugin()
            .WithBindMount(accounts.Definitions, "/etc/rabbitmq/definitions.json", isReadOnly: true)
            .WithBindMount(definitionsConf, "/etc/rabbitmq/conf.d/20-fl-definitions.conf", isReadOnly: true)
            .WaitForCompletion(accounts.Generator);
        var amqp = rabbit.GetEndpoint("tcp");
        var redis = builder.AddRedis("redis", password: credentials.RedisPassword)
            .WithDataVolume("fl-redis-data").WithPersistence(TimeSpan.FromSeconds(10));

        // Processes on the host reach the broker at the address it advertises, so host and container port are one fixed port
        // (no proxy in between).
        var kafkaPort = Ports.Free();
        var kafkaServer = builder.AddContainer("kafka-broker", "apache/kafka", "3.9.1")
            .WithEndpoint(name: "tcp", scheme: "tcp", port: kafkaPort, targetPort: kafkaPort, isProxied: false)
            .WithEnvironment("CLUSTER_ID", "hmR33ERlROSmQ_zAWhjhUA")
            .WithEnvironment("KAFKA_NODE_ID", "1")
            .WithEnvironment("KAFKA_PROCESS_ROLES", "broker,controller")
            .WithEnvironment("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
            .WithEnvironment("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
            .WithEnvironment("KAFKA_LISTENERS", $"PLAINTEXT://:{Ports.Text(kafkaPort)},CONTROLLER://:9093")
            .WithEnvironment("KAFKA_ADVERTISED_LISTENERS", $"PLAINTEXT://localhost:{Ports.Text(kafkaPort)}")
            .WithEnvironment("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT")
            .WithEnvironment("KAFKA_AUTO_CREATE_TOPICS_ENABLE", "true")
            .WithEnvironment("KAFKA_NUM_PARTITIONS", "4") // the update stream spreads slices over 4 partitions
            .WithEnvironment("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
            .WithEnvironment("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
            .WithEnvironment("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0")
            .WithVolume("fl-kafka-data", "/var/lib/kafka/data");
        var kafka = builder.AddConnectionString("kafka", ReferenceExpression.Create($"localhost:{Ports.Text(kafkaPort)}"));

        var mongoServer = builder.AddContainer("mongo", "mongo", "8")
            .WithEndpoint(name: "tcp", scheme: "tcp", targetPort: 27017)
            .WithEnvironment("MONGO_INITDB_ROOT_USERNAME", credentials.MongoUser)
            .WithEnvironment("MONGO_INITDB_ROOT_PASSWORD", credentials.MongoPassword)
            .WithVolume("fl-mongo-data", "/data/db");
        var endpoint = mongoServer.GetEndpoint("tcp");
        var mongo = builder.AddConnectionString("mongodb", ReferenceExpression.Create(
            $"mongodb://{credentials.MongoUser}:{credentials.MongoPassword:uri}@{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}/fl?authSource=admin"));

        return new Infrastructure(
            new Dependency(rabbit, rabbit), new Dependency(redis, redis), new Dependency(kafka, kafkaServer),
            new Dependency(mongo, mongoServer), ModelStoreRoot: settings.Folder("models"),
            BusAddress: ReferenceExpression.Create($"amqp://{amqp.Property(EndpointProperty.Host)}:{amqp.Property(EndpointProperty.Port)}/"), accounts);
    }
}
