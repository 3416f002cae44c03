using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Xunit.Abstractions;

namespace FlMicroservices.Distributed.Tests;

/// <summary>
/// An outside system subscribed to the platform's events over RabbitMQ, the way a user's dashboard or pipeline would be:
/// its own bus, its own auto-deleted queue bound to the event exchanges. It can also send commands (CreateTask).
/// </summary>
public sealed class Observer : IAsyncDisposable
{
    private readonly IBusControl _bus;
    private readonly ConcurrentQueue<object> _events = new();

    private Observer(IBusControl bus) => _bus = bus;

    public IReadOnlyCollection<object> Events => _events;

    public IEnumerable<T> Of<T>() => _events.OfType<T>();

    /// <param name="rabbitMqUrl">The broker.</param>
    /// <param name="durable">A durable queue, which keeps the events published while the broker restarts; auto-deleted otherwise.</param>
    /// <param name="caCertificate">The private CA an amqps:// broker's certificate is checked against (null: the system store).</param>
    public static async Task<Observer> StartAsync(string rabbitMqUrl, bool durable = false, string? caCertificate = null)
    {
        Observer? observer = null;
        var broker = new Uri(rabbitMqUrl);
        var tls = BrokerTls.For(broker, new MessagingOptions { TlsCaCertificate = caCertificate });
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(broker, host =>
            {
                if (tls is null) return;
                host.UseSsl(ssl =>
                {
                    ssl.ServerName = tls.ServerName;
                    ssl.Protocol = BrokerTls.Protocols;
                    ssl.CertificateValidationCallback = tls.ValidateServer;
                });
            });
            cfg.ReceiveEndpoint($"outside-observer-{Guid.NewGuid():N}", e =>
            {
                e.AutoDelete = !durable;
                e.Durable = durable;
                e.Handler<RoundCompleted>(c => Record(observer!, c.Message));
                e.Handler<RoundAggregated>(c => Record(observer!, c.Message));
                e.Handler<RoundStarted>(c => Record(observer!, c.Message));
                e.Handler<UpdateSubmitted>(c => Record(observer!, c.Message));
                e.Handler<ClientRegistered>(c => Record(observer!, c.Message));
                e.Handler<ModelVersionPublished>(c => Record(observer!, c.Message));
                e.Handler<TaskCreated>(c => Record(observer!, c.Message));
                e.Handler<TaskRejected>(c => Record(observer!, c.Message));
                e.Handler<TaskCompleted>(c => Record(observer!, c.Message));
                e.Handler<PrivacyBudgetUpdated>(c => Record(observer!, c.Message));
                e.Handler<RewardsIssued>(c => Record(observer!, c.Message));
            });
        });
        observer = new Observer(bus);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bus.StartAsync(timeout.Token);
        return observer;
    }

    public Task PublishAsync<T>(T message) where T : class => _bus.Publish(message);

    /// <summary>Waits until <paramref name="condition"/> holds over the events seen so far.</summary>
    public async Task<bool> WaitAsync(Func<Observer, bool> condition, TimeSpan timeout, Func<bool>? abort = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(this)) return true;
            if (abort?.Invoke() == true) return false;
            await Task.Delay(100);
        }
        return condition(this);
    }

    /// <summary>
    /// Waits for <paramref name="condition"/>; fails with the events seen, the tasks completed and the deployment's logs when it
    /// does not hold within <paramref name="seconds"/> or a started process exited (of those <paramref name="watched"/> selects).
    /// </summary>
    public async Task WaitOrFailAsync(Deployment deployment, Func<Observer, bool> condition, string what, int seconds, ITestOutputHelper output,
        Func<ServiceProcess, bool>? watched = null)
    {
        var crashed = () => deployment.Services.Values.Concat(deployment.Nodes).Any(p => p.HasExited && p.Starts > 0 && (watched?.Invoke(p) ?? true));
        if (await WaitAsync(condition, TimeSpan.FromSeconds(seconds), crashed)) return;
        output.WriteLine(deployment.Logs());
        Assert.Fail($"Waited {seconds} s for {what}; events seen: {string.Join(", ", Events.GroupBy(e => e.GetType().Name).Select(g => $"{g.Key} x{g.Count()}"))}. " +
            $"Tasks completed: {string.Join("; ", Of<TaskCompleted>().Select(t => $"{t.TaskId}: {t.Reason}"))}. Logs in {deployment.LogDirectory}:\n{deployment.Logs()}");
    }

    private static Task Record(Observer observer, object message)
    {
        observer._events.Enqueue(message);
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _bus.StopAsync();
}
