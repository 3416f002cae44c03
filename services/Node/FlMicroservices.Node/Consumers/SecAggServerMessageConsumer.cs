using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Node.SecAgg;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Node.Consumers;

/// <summary>Hands the aggregation service's secure-aggregation messages to the hosted clients they are for, once its signature checks out (others are ignored).</summary>
public sealed class SecAggServerMessageConsumer(SecureRoundParticipation participation, HostedClients clients, CommandSigning signing,
    ILogger<SecAggServerMessageConsumer> logger) : IConsumer<SecAggServerMessage>
{
    public Task Consume(ConsumeContext<SecAggServerMessage> context)
    {
        var message = context.Message;
        // Only messages for this node's clients are checked: every node receives every client's.
        if (clients.Find(message.RecipientClientId) is null || signing.Refuses(message, logger)) return Task.CompletedTask;
        return participation.OnServerMessageAsync(message, context, context.CancellationToken);
    }
}
