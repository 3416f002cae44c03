using FlMicroservices.Aggregation.Consumers;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Aggregation;

/// <summary>Registration of the aggregation service's logic and consumers.</summary>
public static class AggregationExtensions
{
    public static IServiceCollection AddAggregationService(this IServiceCollection services)
    {
        services.AddSingleton<AggregationRounds>();
        services.AddHostedService<SliceIngestionService>();
        return services;
    }

    public static IBusRegistrationConfigurator AddAggregationConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<RoundStartedConsumer>();
        bus.AddConsumer<UpdateSubmittedConsumer>();
        return bus;
    }
}
