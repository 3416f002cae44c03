using FlMicroservices.PrivacyAccounting.Consumers;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.PrivacyAccounting;

/// <summary>Registration of the privacy-accounting service's logic and consumers.</summary>
public static class PrivacyAccountingExtensions
{
    public static IServiceCollection AddPrivacyAccountingService(this IServiceCollection services) =>
        services.AddSingleton<PrivacyLedger>();

    public static IBusRegistrationConfigurator AddPrivacyAccountingConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<TaskCreatedConsumer>();
        bus.AddConsumer<CheckPrivacyBudgetConsumer>();
        bus.AddConsumer<RoundCompletedConsumer>();
        return bus;
    }
}
