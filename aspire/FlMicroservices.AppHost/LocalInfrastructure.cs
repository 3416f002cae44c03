using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlMicroservices.AppHost;

/// <summary>
/// Infrastructure as local processes, for machines without a container engine: RabbitMQ and Redis from the Debian packages
/// (local/rabbitmq.sh, local/redis.sh), librdkafka's mock Kafka cluster (tools/KafkaMock) and the file model store, all
/// under the data root, which each start empties (a throwaway deployment; restarting one resource keeps its data).
/// </summary>
internal static class LocalInfrastructure
{
    /// <summary>The folders a start empties; other content of the data root is never touched.</summary>
    private static readonly string[] ThrowawayFolders = ["rabbitmq", "broker", "redis", "kafka", "models", "ledger", "checkpoints"];

    public static Infrastructure Add(IDistributedApplicationBuilder builder, AppHostSettings settings, Credentials credentials)
    {
        foreach (var folder in ThrowawayFolders)
        {
            var path = Path.Combine(settings.DataRoot, folder);
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        var scripts = Path.Combine(builder.AppHostDirectory, "local");

        var amqpPort = Ports.Free();
        var accounts = BrokerAccountFiles.Add(builder, settings, credentials);
        var rabbitServer = builder.AddExecutable("rabbitmq-server", "bash", settings.DataRoot, Path.Combine(scripts, "rabbitmq.sh"))
            .WithEnvironment("FL_RABBITMQ_DATA", settings.Folder("rabbitmq"))
            .WithEnvironment("FL_RABBITMQ_USER", credentials.RabbitMqUser)
            .WithEnvironment("FL_RABBITMQ_PASSWORD", credentials.RabbitMqPassword)
            .WithEnvironment("FL_RABBITMQ_DEFINITIONS", accounts.Definitions)
            .WaitForCompletion(accounts.Generator)
            .WithEnvironment("RABBITMQ_NODE_PORT", Ports.Text(amqpPort))
            .WithEnvironment("RABBITMQ_DIST_PORT", Ports.Text(Ports.Free()))
            .WithEnvironment("ERL_EPMD_PORT", Ports.Text(Ports.Free()))
            .WithEndpoint(name: "amqp", scheme: "tcp", port: amqpPort, targetPort: amqpPort, isProxied: false)
            .WithHealthCheck(AddTcpCheck(builder, "rabbitmq-amqp", amqpPort));
        var rabbit = builder.AddConnectionString("rabbitmq",
            ReferenceExpression.Create($"amqp://{credentials.RabbitMqUser}:{credentials.RabbitMqPassword:uri}@127.0.0.1:{Ports.Text(amqpPort)}/"));

        var redisPort = Ports.Free();
        var redisServer = builder.AddExecutable("redis-server", "bash", settings.DataRoot, Path.Combine(scripts, "redis.sh"))
            .WithEnvironment("FL_REDIS_DATA", settings.Folder("redis"))
            .WithEnvironment("FL_REDIS_PORT", Ports.Text(redisPort))
            .WithEnvironment("FL_REDIS_PASSWORD", credentials.RedisPassword)
            .WithEndpoint(name: "tcp", scheme: "tcp", port: redisPort, targetPort: redisPort, isProxied: false)
            .WithHealthCheck(AddTcpCheck(builder, "redis-tcp", redisPort));
        var redis = builder.AddConnectionString("redis",
            ReferenceExpression.Create($"127.0.0.1:{Ports.Text(redisPort)},password={credentials.RedisPassword}"));

        // The mock cluster picks its own port and writes "host:port" to a file once it is up; the connection string reads it.
        var bootstrap = new BootstrapFile(Path.Combine(settings.Folder("kafka"), "bootstrap"));
        var kafkaServer = builder.AddProject<Projects.KafkaMock>("kafka-mock")
            .WithArgs("--write", bootstrap.Path)
            .WithHealthCheck(AddBootstrapCheck(builder, "kafka-mock-bootstrap", bootstrap));
        var kafka = builder.AddConnectionString("kafka", ReferenceExpression.Create($"{bootstrap}"));

        return new Infrastructure(
            new Dependency(rabbit, rabbitServer), new Dependency(redis, redisServer), new Dependency(kafka, kafkaServer),
            MongoDb: null, ModelStoreRoot: settings.Folder("models"),
            BusAddress: ReferenceExpression.Create($"amqp://127.0.0.1:{Ports.Text(amqpPort)}/"), accounts);
    }


    private static string AddTcpCheck(IDistributedApplicationBuilder builder, string name, int port)
    {
        builder.Services.AddHealthChecks().AddAsyncCheck(name, async cancellationToken =>
            await Ports.ListensAsync(port, cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy($"nothing listens on 127.0.0.1:{port}"));
        return name;
    }

    private static string AddBootstrapCheck(IDistributedApplicationBuilder builder, string name, BootstrapFile bootstrap)
    {
        builder.Services.AddHealthChecks().AddAsyncCheck(name, async cancellationToken =>
            bootstrap.TryRead() is { } servers && Ports.TryParse(servers, out var port) && await Ports.ListensAsync(port, cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy($"no mock broker announced in {bootstrap.Path} yet"));
        return name;
    }
}
