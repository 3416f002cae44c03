using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Reward.Consumers;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Reward;

/// <summary>Registration of the reward service's logic and consumers.</summary>
public static class RewardExtensions
{
    /// <summary>Registers the ledger over the reward service's state store (Storage:State; see docs/state.md).</summary>
    public static IServiceCollection AddRewardService(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ => CommandSigning.Off()); // AddFlMessaging puts the deployment's in its place
        services.AddValidatedOptions<RewardOptions>(configuration, RewardOptions.Section);
        return services.AddFlState("reward", configuration, (_, store) => new TokenLedger(new LedgerStore(store)));
    }

    public static IBusRegistrationConfigurator AddRewardConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<RoundCompletedConsumer>();
        return bus;
    }
}
