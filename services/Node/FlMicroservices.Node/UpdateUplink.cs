using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;
using MassTransit;

namespace FlMicroservices.Node;

/// <summary>Streams an update as slices and publishes its manifest, or hands it to secure aggregation when the round asks for it.</summary>
public sealed class UpdateUplink(IUpdateStreamProducer stream, SecAgg.SecureRoundParticipation secure) : IUpdateUplink
{
    public async Task SendAsync(RoundStarted round, string clientId, float[] delta, int exampleCount, LocalMetrics metrics,
        IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(publish);
        if (SecAgg.SecureRoundParticipation.Handles(round))
        {
            // Secure aggregation: the update is clipped, masked and streamed as UInt32 slices; it never leaves in the clear.
            await secure.SubmitAsync(round, clientId, delta, exampleCount, metrics, publish, cancellationToken);
            return;
        }
        var slices = UpdateSliceCodec.Slice(round.TaskId, round.Round, clientId, delta, exampleCount, round.SliceElements).ToList();
        foreach (var slice in slices)
            await stream.ProduceAsync(slice, cancellationToken);
        await publish.Publish(new UpdateSubmitted(round.TaskId, round.Round, clientId, exampleCount, slices.Count, delta.Length,
            UpdateDigest.Of(slices), null, metrics), cancellationToken);
    }
}
