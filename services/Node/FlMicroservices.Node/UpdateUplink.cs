using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Node;

/// <summary>Streams an update as slices and publishes its signed manifest, or hands it to secure aggregation when the round asks for it.</summary>
/// <remarks>
/// An update whose metrics are not finite numbers (a local training that diverged) is not sent: a manifest cannot carry them
/// (JSON has no NaN), and the round would otherwise wait for a manifest that never comes. The client counts as a dropout.
/// </remarks>
public sealed class UpdateUplink(IUpdateStreamProducer stream, SecAgg.SecureRoundParticipation secure, UpdateSigning signing,
    UpdateCompression compression, NodeStatistics statistics, ILogger<UpdateUplink> logger) : IUpdateUplink
{
    public async Task SendAsync(RoundStarted round, string clientId, float[] delta, int exampleCount, LocalMetrics metrics,
        IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(publish);
        ArgumentNullException.ThrowIfNull(metrics);
        if (NonFiniteMetric(metrics) is { } problem)
        {
            logger.LogWarning("Client {Client} sends no update for {Task}/{Round}: {Problem} (local training diverged)", clientId, round.TaskId, round.Round, problem);
            return;
        }
        if (SecAgg.SecureRoundParticipation.Handles(round))
        {
            // Secure aggregation: the update is clipped, masked and streamed as UInt32 slices; it never leaves in the clear.
            await secure.SubmitAsync(round, clientId, delta, exampleCount, metrics, publish, cancellationToken);
            return;
        }
        IReadOnlyList<UpdateSlice> slices;
        string digest;
        try { (slices, digest) = await compression.SliceAsync(round, clientId, delta, exampleCount, cancellationToken); }
        catch (ArgumentException e)
        {
            logger.LogWarning("Client {Client} sends no update for {Task}/{Round}: it cannot be compressed ({Problem})", clientId, round.TaskId, round.Round, e.Message);
            return;
        }
        foreach (var slice in slices)
        {
            await stream.ProduceAsync(slice, cancellationToken);
            statistics.RecordUpdateBytes(round.TaskId, round.Round, slice.Payload.Length);
        }
        await publish.Publish(signing.Sign(round, new UpdateSubmitted(round.TaskId, round.Round, clientId, exampleCount, slices.Count, delta.Length,
            digest, null, metrics)), cancellationToken);
    }

    /// <summary>The first metric that is not a finite number, named with its value; null when all are finite.</summary>
    public static string? NonFiniteMetric(LocalMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (!double.IsFinite(metrics.TrainLoss)) return FormattableString.Invariant($"TrainLoss is {metrics.TrainLoss}");
        if (!double.IsFinite(metrics.TrainSeconds)) return FormattableString.Invariant($"TrainSeconds is {metrics.TrainSeconds}");
        return null;
    }
}
