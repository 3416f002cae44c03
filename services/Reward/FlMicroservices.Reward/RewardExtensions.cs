using FlMicroservices.Infrastructure;
using FlMicroservices.Reward.Consumers;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Reward;

/// <summary>Registration of the reward service's logic and consumers.</summary>
public static class RewardExtensions
{
    public static IServiceCollection AddRewardService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<RewardOptions>(configuration, RewardOptions.Section);
        return services.AddSingleton<TokenLedger>();
    }

    public static IBusRegistrationConfigurator AddRewardConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<RoundCompletedConsumer>();
        return bus;
    }
}
