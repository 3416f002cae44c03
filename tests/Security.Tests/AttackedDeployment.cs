using FlMicroservices.Contracts.V1;
using FlMicroservices.Distributed.Tests;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace FlMicroservices.Security.Tests;

/// <summary>
/// The separate-process deployment under attack: six services and three nodes (two clients each) over RabbitMQ (each process
/// its own broker user), Kafka and Redis, with one secure-aggregation task run to its end first, so that the nodes have
/// pinned its privacy settings. Shared by the attacks of a class; each attack leaves the deployment usable.
/// </summary>
public sealed class AttackedDeployment : IAsyncLifetime
{
    public const int ClientsPerNode = 2;
    public const int Clients = 3 * ClientsPerNode;

    /// <summary>How long slices for a round that never opens are kept (Aggregation:HeldLifetime), short for the flood attack.</summary>
    public static readonly TimeSpan HeldLifetime = TimeSpan.FromSeconds(10);

    public Deployment Deployment { get; private set; } = null!;
    public Observer Observer { get; private set; } = null!;

    /// <summary>The secure task that ran before the attacks, and its rounds.</summary>
    public string SecureTaskId { get; } = $"secure-{Guid.NewGuid():N}"[..20];

    public async Task InitializeAsync()
    {
        Deployment = await Deployment.StartAsync(restartable: true, settings: new Dictionary<string, Dictionary<string, string>>
        {
            ["Aggregation"] = new() { ["Aggregation__HeldLifetime"] = HeldLifetime.ToString("c", System.Globalization.CultureInfo.InvariantCulture) },
        });
        Observer = await Observer.StartAsync(Deployment.RabbitMqUrl);
        Deployment.StartNodes([0, 0, 0], ClientsPerNode);
        await WaitAsync(o => o.Of<ClientRegistered>().Count() >= Clients, "all clients registered", 180);
        await Observer.PublishAsync(new CreateTask(SecureTaskId, SecureSpec(rounds: 2)));
        await WaitAsync(o => o.Of<TaskCompleted>().Any(t => t.TaskId == SecureTaskId), "the secure task to complete", 360);
        var done = Observer.Of<TaskCompleted>().Single(t => t.TaskId == SecureTaskId);
        if (!done.Succeeded) throw new InvalidOperationException($"The secure task before the attacks failed: {done.Reason}\n{Deployment.Logs()}");
    }

    public async Task DisposeAsync()
    {
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

    /// <summary>The node processes' broker user and password (what a malicious node holds).</summary>
    public (string User, string Password) NodeCredentials() =>
        ("fl-node", File.ReadAllText(Path.Combine(Deployment.BrokerAccountsDirectory, "node.password")).Trim());

    /// <summary>A connection to the deployment's broker as <paramref name="user"/>.</summary>
    public Task<IConnection> ConnectAsync(string user, string password)
    {
        var broker = new Uri(Deployment.RabbitMqUrl);
        return new ConnectionFactory { Uri = new UriBuilder(broker) { UserName = user, Password = password }.Uri, ClientProvidedName = "attacker" }
            .CreateConnectionAsync();
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
        await using var connection = await new ConnectionFactory { Uri = new Uri(Deployment.RabbitMqUrl) }.CreateConnectionAsync();
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

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
