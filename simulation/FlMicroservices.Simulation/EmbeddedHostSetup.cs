using System.Globalization;
using FlMicroservices.ModelRegistry;
using FlMicroservices.Node;
using FlMicroservices.Simulation.Attacks;
using FlMicroservices.Training;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Simulation;

/// <summary>What an embedded run puts into its host: settings, the event log, the validation set, attacks and the platform with its virtual clients.</summary>
public sealed record EmbeddedHostSetup(SimulationOptions Options, HostedClient[] Clients, IReadOnlyDictionary<string, AttackSpec> Attacks, FederatedData Data,
    EventLog Events)
{
    /// <summary>Configures <paramref name="builder"/> (a plain or a web host's); <paramref name="consumers"/> adds the caller's own consumers to the bus.</summary>
    public void Configure(IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? consumers = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ModelStoreRoot"] = Path.GetFullPath(Path.Combine(Options.OutDir, "models")),
            ["Node:Parallelism"] = Options.Parallelism.ToString(CultureInfo.InvariantCulture),
            ["Node:DropoutRate"] = Options.DropoutRate.ToString(CultureInfo.InvariantCulture),
        });
        builder.Configuration.AddInMemoryCollection(Options.Settings);
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Error);
        builder.Logging.AddFilter("MassTransit", LogLevel.Error);
        var services = builder.Services;
        services.AddSingleton(Events);
        services.AddSingleton<IValidationSetProvider>(new FixedValidationSets(new Dictionary<string, Core.Data.InMemoryDataset>(), Data.Test));
        // The run's one task signs with one algorithm: its virtual clients hold and register that key alone.
        services.AddSingleton(new ClientIdentities(null, Options.Signing == Contracts.V1.SigningAlgorithms.None ? [] : [Options.Signing]));
        if (Attacks.Count > 0) AttackingUplink.Register(services, Attacks); // before the node, whose honest uplink it wraps
        if (Options.Profiles is { } profiles) AddClock(services, profiles); // before the node, whose dropout gate it wraps
        SimulationRunner.AddEmbeddedPlatform(services, builder.Configuration, Clients, consumers);
    }

    private void AddClock(IServiceCollection services, string profiles)
    {
        var clock = new Clock.SimulatedClock();
        var byClient = Clients.Zip(Clock.DeviceProfiles.Create(profiles, Clients.Length, Options.Seed))
            .ToDictionary(p => p.First.ClientId, p => p.Second, StringComparer.Ordinal);
        services.AddSingleton(clock);
        services.AddSingleton<IParticipationGate>(sp =>
            new Clock.ClockedParticipation(clock, byClient, Options.RoundDeadline, new NodeGate(sp.GetRequiredService<IOptions<NodeOptions>>(), TimeProvider.System,
                sp.GetRequiredService<ILogger<NodeGate>>())));
    }
}
