using FlMicroservices.Contracts.V1;
using MassTransit;

namespace FlMicroservices.Registry.Consumers;

/// <summary>Admits a client: records it as healthy and announces <see cref="ClientRegistered"/>.</summary>
public sealed class RegisterClientConsumer(ClientAdmission admission) : IConsumer<RegisterClient>
{
    public Task Consume(ConsumeContext<RegisterClient> context) =>
        admission.AdmitAsync(context.Message.ClientId, context.Message.Capabilities, context.Message.Capabilities?.CpuLoad ?? 0, context, context.CancellationToken,
            context.Message.Keys);
}
