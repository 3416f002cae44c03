using System.Text.Json;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Edge.Consumers;

/// <summary>Pushes a round assignment to every connected node that hosts one of its participants, once the selector's signature checks out.</summary>
/// <remarks>Nodes behind the edge hold no broker account folder, so the edge checks the signed command on their behalf (docs/edge.md).</remarks>
public sealed class RoundStartedConsumer(OpenRounds rounds, PushChannels channels, Enrolments enrolments, CommandSigning signing, ILogger<RoundStartedConsumer> logger)
    : IConsumer<RoundStarted>
{
    public async Task Consume(ConsumeContext<RoundStarted> context)
    {
        var round = context.Message;
        if (signing.Problem(round) is { } refused)
        {
            logger.LogWarning("Edge refused round {Round} of task {Task}: {Reason}", round.Round, round.TaskId, refused);
            await enrolments.RecordRefusalAsync(null, $"RoundStarted {round.TaskId}/{round.Round}", refused, context.CancellationToken);
            return;
        }
        rounds.Add(round);
        var json = JsonSerializer.Serialize(round, EdgeJson.Options);
        foreach (var node in round.Participants.Select(enrolments.OwnerOf).OfType<string>().Distinct(StringComparer.Ordinal))
            channels.Send(node, new PushEvent(EdgeApi.RoundStartedEvent, json));
    }
}
