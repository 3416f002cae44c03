using FlMicroservices.Aggregation.Consumers;
using FlMicroservices.Infrastructure;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Aggregation.SecAgg;

/// <summary>Registration of the aggregation service's secure-aggregation rounds.</summary>
public static class SecureAggregationExtensions
{
    /// <summary>Registers <see cref="SecureRoundHandOver"/>; timing from "Aggregation:SecureAggregation" when a configuration is given.</summary>
    public static IServiceCollection AddSecureAggregation(this IServiceCollection services, IConfiguration? configuration = null)
    {
        if (configuration is null) services.AddOptions<SecureAggregationOptions>();
        else services.AddValidatedOptions<SecureAggregationOptions>(configuration, SecureAggregationOptions.Section);
        services.TryAddSingleton<SecureRoundHandOver>();
        return services;
    }

    public static IBusRegistrationConfigurator AddSecureAggregationConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<SecAggClientMessageConsumer>();
        bus.AddConsumer<MaskedUpdateSubmittedConsumer>();
        return bus;
    }
}
