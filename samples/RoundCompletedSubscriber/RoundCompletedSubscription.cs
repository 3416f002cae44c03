using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RoundCompletedSubscriber;

/// <summary>A durable queue of this subscriber's own, bound to the platform's RoundCompleted fanout exchange, consumed with acks.</summary>
public sealed class RoundCompletedSubscription : IAsyncDisposable
{
    /// <summary>MassTransit publishes each event type to a durable fanout exchange named "namespace:type".</summary>
    public const string Exchange = "FlMicroservices.Contracts.V1:RoundCompleted";

    private readonly IConnection _connection;
    private readonly IChannel _channel;

    private RoundCompletedSubscription(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    /// <summary>Declares the exchange (a no-op when the platform already did), the queue and its binding, then calls <paramref name="onEvent"/> per event.</summary>
    /// <param name="onBadMessage">Told about a body that is not a RoundCompleted envelope; that message is dropped (not requeued).</param>
    public static async Task<RoundCompletedSubscription> StartAsync(Uri broker, string queue, Func<RoundCompletedEvent, Task> onEvent,
        Action<string> onBadMessage, CancellationToken cancellationToken = default)
    {
        var connection = await new ConnectionFactory { Uri = broker, ClientProvidedName = "round-completed-subscriber" }
            .CreateConnectionAsync(cancellationToken);
        try
        {
            var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
            await channel.QueueBindAsync(queue, Exchange, routingKey: "", cancellationToken: cancellationToken);
            await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: 16, global: false, cancellationToken);

            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                RoundCompletedEvent? round;
                try { round = Parse(delivery.Body.Span); }
                catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
                {
                    round = null;
                    onBadMessage($"message {delivery.BasicProperties.MessageId ?? "?"} is not a RoundCompleted envelope: {e.Message}");
                }
                if (round is null)
                {
                    await channel.BasicRejectAsync(delivery.DeliveryTag, requeue: false);
                    return;
                }
                await onEvent(round);
                await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            };
            await channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken);
            return new RoundCompletedSubscription(connection, channel);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads the event out of MassTransit's JSON envelope: the event is the "message" field, with camelCase names.</summary>
    public static RoundCompletedEvent Parse(ReadOnlySpan<byte> body)
    {
        using var document = JsonDocument.Parse(body.ToArray());
        var message = document.RootElement.GetProperty("message");
        var accuracy = message.TryGetProperty("accuracy", out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : (double?)null;
        var failure = message.TryGetProperty("failureReason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null;
        return new RoundCompletedEvent(
            message.GetProperty("taskId").GetString() ?? throw new FormatException("taskId is null"),
            message.GetProperty("round").GetInt32(),
            message.GetProperty("modelVersion").GetInt32(),
            message.GetProperty("succeeded").GetBoolean(),
            accuracy,
            failure);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
