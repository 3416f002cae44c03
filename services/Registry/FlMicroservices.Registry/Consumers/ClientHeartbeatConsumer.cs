using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Registry.Consumers;

/// <summary>One client's heartbeat (<see cref="HeartbeatRecorder"/>).</summary>
public sealed class ClientHeartbeatConsumer(HeartbeatRecorder recorder) : IConsumer<ClientHeartbeat>
{
    public Task Consume(ConsumeContext<ClientHeartbeat> context) => recorder.RecordAsync(context.Message, context, context.CancellationToken);
}
