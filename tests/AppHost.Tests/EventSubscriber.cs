using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.AppHost.Tests;

/// <summary>
/// An outside system on the AppHost's RabbitMQ: its own bus with one auto-deleted queue bound to the task events, and the
/// CreateTask command sent the way a user's pipeline would.
/// </summary>
public sealed class EventSubscriber : IAsyncDisposable
{
    private readonly ConcurrentQueue<RoundCompleted> _rounds = new();
    private readonly ConcurrentQueue<TaskCompleted> _completed = new();
    private readonly ConcurrentQueue<TaskRejected> _rejected = new();
    private IBusControl? _bus;

    public IEnumerable<RoundCompleted> Rounds(string taskId) => _rounds.Where(r => r.TaskId == taskId).OrderBy(r => r.Round);

    public TaskCompleted? Completed(string taskId) => _completed.FirstOrDefault(t => t.TaskId == taskId);

    public TaskRejected? Rejected(string taskId) => _rejected.FirstOrDefault(t => t.TaskId == taskId);

    /// <summary>Connects; the broker was reported healthy, so a minute is plenty even on a loaded machine.</summary>
    public static async Task<EventSubscriber> ConnectAsync(string rabbitMqUrl)
    {
        var subscriber = new EventSubscriber();
        subscriber._bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(rabbitMqUrl));
            cfg.ReceiveEndpoint($"apphost-test-{Guid.NewGuid():N}", e =>
            {
                e.AutoDelete = true;
                e.Durable = false;
                e.Handler<RoundCompleted>(c => Keep(subscriber._rounds, c.Message));
                e.Handler<TaskCompleted>(c => Keep(subscriber._completed, c.Message));
                e.Handler<TaskRejected>(c => Keep(subscriber._rejected, c.Message));
            });
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await subscriber._bus.StartAsync(timeout.Token);
        return subscriber;
    }

    public Task SubmitAsync(CreateTask command) => _bus!.Publish(command);

    public async ValueTask DisposeAsync()
    {
        if (_bus is not null) await _bus.StopAsync();
    }

    private static Task Keep<T>(ConcurrentQueue<T> events, T message)
    {
        events.Enqueue(message);
        return Task.CompletedTask;
    }
}
