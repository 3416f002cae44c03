using FlMicroservices.Aggregation.Consumers;
using MassTransit;
using FlMicroservices.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Aggregation;

/// <summary>Registration of the aggregation service's logic and consumers.</summary>
public static class AggregationExtensions
{
    /// <summary>Registers the aggregation logic; settings come from the "Aggregation" section (no checkpoints without one).</summary>
    public static IServiceCollection AddAggregationService(this IServiceCollection services, IConfiguration? configuration = null)
    {
        var options = configuration is null
            ? new AggregationOptions()
            : services.AddValidatedOptions<AggregationOptions>(configuration, AggregationOptions.Section);
        if (configuration is null) services.AddOptions<AggregationOptions>();
        services.AddSingleton(new AggregationCheckpoints(options.CheckpointDirectory));
        services.AddSingleton(sp =>
        {
            var rounds = ActivatorUtilities.CreateInstance<AggregationRounds>(sp, sp.GetRequiredService<AggregationCheckpoints>());
            rounds.StreamReader = sp.GetService<FlMicroservices.Infrastructure.UpdateStream.IUpdateStreamReader>();
            return rounds;
        });
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
