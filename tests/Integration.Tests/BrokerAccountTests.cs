using System.Security.Cryptography;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Testing;
using MassTransit;
using PublishException = RabbitMQ.Client.Exceptions.PublishException;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace FlMicroservices.Integration.Tests.Messaging;

/// <summary>Per-process broker users on a real RabbitMQ: each may publish only its own messages, and a node reads only what it acts on.</summary>
public sealed class BrokerAccountTests : IAsyncLifetime
{
    private const int AccessRefused = 403;

    // The messages whose forgery the threat model names, and the node's own.
    private static readonly Type[] Messages =
    [
        typeof(CreateTask), typeof(TaskCreated), typeof(RoundStarted), typeof(RoundAggregated), typeof(RoundCompleted),
        typeof(ModelVersionPublished), typeof(RewardsIssued), typeof(PrivacyBudgetUpdated), typeof(TaskCompleted), typeof(UpdateSubmitted),
        typeof(RegisterClient),
    ];

    private LocalRabbitMqServer _server = null!;
    private readonly Dictionary<string, string> _passwords = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        _server = await LocalRabbitMqServer.StartAsync();
        foreach (var account in BrokerAccounts.All)
        {
            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var (configure, write, read) = account.Permissions();
            await _server.AddUserAsync(new BrokerUser(account.User, password, configure, write, read));
            _passwords[account.Name] = password;
        }
        // The exchanges exist once the services have started; declare them as the administrator here.
        await using var admin = await ConnectAsync("guest", "guest");
        await using var channel = await admin.CreateChannelAsync();
        foreach (var type in Messages) await channel.ExchangeDeclareAsync(BrokerAccount.ExchangeOf(type), ExchangeType.Fanout, durable: true);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Each_account_may_publish_exactly_its_own_messages()
    {
        var problems = new List<string>();
        foreach (var account in BrokerAccounts.All)
        {
            await using var connection = await ConnectAsync(account.User, _passwords[account.Name]);
            foreach (var type in Messages)
            {
                var refused = await PublishRefusedAsync(connection, BrokerAccount.ExchangeOf(type));
                var allowed = account.Publishes.Contains(type);
                if (refused == allowed) problems.Add($"{account.User} {(refused ? "was refused" : "could publish")} {type.Name}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("; ", problems));
        // What the threat model names: a node can forge none of the control messages.
        Assert.DoesNotContain(typeof(RoundStarted), BrokerAccounts.Node.Publishes);
        Assert.DoesNotContain(typeof(TaskCreated), BrokerAccounts.Node.Publishes);
        Assert.DoesNotContain(typeof(RoundCompleted), BrokerAccounts.Node.Publishes);
    }

    [Fact]
    public async Task A_node_cannot_read_messages_it_does_not_act_on_nor_publish_through_the_default_exchange()
    {
        await using var connection = await ConnectAsync(BrokerAccounts.Node.User, _passwords["node"]);
        var queue = $"fl-microservices-node-probe-{Guid.NewGuid():N}";
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
            await channel.QueueBindAsync(queue, BrokerAccount.ExchangeOf(typeof(RoundStarted)), ""); // what it acts on: allowed
        }
        Assert.Equal(AccessRefused, await RefusalAsync(connection, c => c.QueueBindAsync(queue, BrokerAccount.ExchangeOf(typeof(UpdateSubmitted)), "")));
        Assert.Equal(AccessRefused, await RefusalAsync(connection, c => c.QueueBindAsync(queue, BrokerAccount.ExchangeOf(typeof(RoundCompleted)), "")));
        // Straight into a service's queue through the default exchange.
        Assert.True(await PublishRefusedAsync(connection, ""), "the node published through the default exchange");
        // Nor may it declare (or delete) queues outside its own prefix.
        Assert.Equal(AccessRefused, await RefusalAsync(connection, c => c.QueueDeclareAsync("fl-microservices-selector-consumers-round-aggregated", true, false, false)));
    }

    [Fact]
    public async Task A_message_a_service_cannot_read_reaches_its_error_queue_under_the_services_own_account()
    {
        // The aggregation's user reads a manifest with NaN where a number must be: MassTransit publishes a ReceiveFault (an
        // exchange bound to MassTransit:Fault) and moves the message to the _error queue; neither may be refused by the broker.
        var queue = $"fl-microservices-aggregation-unreadable-{Guid.NewGuid():N}";
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri($"amqp://127.0.0.1:{_server.Port}/"), h =>
            {
                h.Username(BrokerAccounts.Aggregation.User);
                h.Password(_passwords[BrokerAccounts.Aggregation.Name]);
            });
            cfg.ReceiveEndpoint(queue, e => e.Handler<UpdateSubmitted>(_ => Task.CompletedTask));
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await bus.StartAsync(timeout.Token);
        try
        {
            var exchange = BrokerAccount.ExchangeOf(typeof(UpdateSubmitted));
            var body = "{\"messageId\":\"" + Guid.NewGuid() + "\",\"messageType\":[\"urn:message:" + exchange + "\"],\"message\":{\"taskId\":\"t\",\"round\":NaN," +
                "\"clientId\":\"c\",\"exampleCount\":1,\"sliceCount\":1,\"elementCount\":1,\"digest\":\"d\",\"metrics\":{\"trainLoss\":0.1,\"trainSeconds\":1,\"steps\":1}}}";
            await using (var node = await ConnectAsync(BrokerAccounts.Node.User, _passwords["node"]))
            {
                var code = await RefusalAsync(node, c => c.BasicPublishAsync(exchange, "", mandatory: false,
                    new BasicProperties { ContentType = "application/vnd.masstransit+json" }, System.Text.Encoding.UTF8.GetBytes(body)).AsTask(), confirms: true);
                Assert.Equal(0, code);
            }
            await using var admin = await ConnectAsync("guest", "guest");
            uint errors = 0;
            while (errors == 0 && !timeout.IsCancellationRequested)
            {
                await Task.Delay(200);
                await using var channel = await admin.CreateChannelAsync();
                try { errors = (await channel.QueueDeclarePassiveAsync(queue + "_error")).MessageCount; }
                catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404) { } // not made yet: nothing faulted so far
            }
            Assert.Equal(1u, errors);
        }
        finally
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await bus.StopAsync(stop.Token);
        }
    }

    [Fact]
    public void The_generated_accounts_file_is_what_the_table_says()
    {
        var file = Path.Combine(RepositoryRoot(), "docker", "rabbitmq", "accounts.tsv");
        Assert.True(File.Exists(file), $"{file} is missing");
        Assert.True(File.ReadAllText(file) == BrokerAccounts.Tsv(),
            "docker/rabbitmq/accounts.tsv is out of date with BrokerAccounts; regenerate it with `dotnet run --project tools/Fl.Cli -- events accounts > docker/rabbitmq/accounts.tsv`");
    }

    private Task<IConnection> ConnectAsync(string user, string password) =>
        new ConnectionFactory { Uri = new Uri($"amqp://{user}:{password}@127.0.0.1:{_server.Port}/"), ClientProvidedName = user }.CreateConnectionAsync();

    // Publishes one message with confirms: true when the broker closed the channel with ACCESS_REFUSED.
    private static async Task<bool> PublishRefusedAsync(IConnection connection, string exchange)
    {
        var code = await RefusalAsync(connection, async channel =>
        {
            await channel.BasicPublishAsync(exchange, exchange == "" ? "fl-microservices-selector-consumers-round-aggregated" : "", mandatory: false,
                new BasicProperties(), "{}"u8.ToArray());
        }, confirms: true);
        return code == AccessRefused;
    }

    // Runs the operation on a new channel; the reply code the broker closed the channel with, or 0 when it did not.
    private static async Task<int> RefusalAsync(IConnection connection, Func<IChannel, Task> operation, bool confirms = false)
    {
        var options = new CreateChannelOptions(publisherConfirmationsEnabled: confirms, publisherConfirmationTrackingEnabled: confirms);
        await using var channel = await connection.CreateChannelAsync(options);
        try
        {
            await operation(channel);
            // A refused publish closes the channel asynchronously: a round trip on the same channel surfaces it.
            await channel.ExchangeDeclarePassiveAsync("amq.fanout");
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

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("FlMicroservices.sln not found above " + AppContext.BaseDirectory);
    }
}
