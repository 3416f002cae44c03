using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Selector.Consumers;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Selector;

/// <summary>Registration of the selector service's logic and consumers.</summary>
public static class SelectorExtensions
{
    public static IServiceCollection AddSelectorService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddValidatedOptions<SelectorOptions>(configuration, SelectorOptions.Section);
        services.AddFlState("selector", configuration, (_, store) => new TaskSchedule(new ScheduleStore(store)));
        services.AddSingleton<RoundWatchdog>();
        services.AddSingleton<HeldRoundRelease>();
        services.AddHostedService<WatchdogRecovery>();
        services.AddSingleton<SelectionTimings>();
        services.AddScoped<RoundStarter>();
        services.TryAddSingleton(_ => CommandSigning.Off()); // AddFlMessaging puts the deployment's in its place
        return services;
    }

    public static IBusRegistrationConfigurator AddSelectorConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<TaskCreatedConsumer>();
        bus.AddConsumer<InitialModelPublishedConsumer>();
        bus.AddConsumer<RoundCompletedConsumer>();
        bus.AddConsumer<RoundStartedConsumer>();
        bus.AddRequestClient<CheckPrivacyBudget>();
        return bus;
    }
}
