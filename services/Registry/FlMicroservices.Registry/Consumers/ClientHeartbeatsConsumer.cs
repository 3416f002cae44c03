using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Registry.Consumers;

/// <summary>The heartbeats of many clients of one node: each handled as its own <see cref="ClientHeartbeat"/>, several at a time.</summary>
public sealed class ClientHeartbeatsConsumer(HeartbeatRecorder recorder, ILogger<ClientHeartbeatsConsumer> logger) : IConsumer<ClientHeartbeats>
{
    /// <summary>Heartbeats of one message handled at once (each waits on the health store).</summary>
    public const int Concurrency = 16;

    public async Task Consume(ConsumeContext<ClientHeartbeats> context)
    {
        var batch = context.Message;
        if (batch.Beats is null || batch.Beats.Length > ClientHeartbeats.MaxBeats)
        {
            logger.LogWarning("Heartbeats from node {NodeId} refused: {Count} beats, at most {Max} per message", batch.NodeId, batch.Beats?.Length, ClientHeartbeats.MaxBeats);
            return;
        }
        await Parallel.ForEachAsync(batch.Beats, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = context.CancellationToken },
            async (beat, cancellationToken) => await recorder.RecordAsync(
                new ClientHeartbeat(beat?.ClientId!, batch.CpuLoad, batch.FreeMemoryBytes, batch.SentAt, beat?.Capabilities, beat?.Keys), context, cancellationToken));
    }
}
