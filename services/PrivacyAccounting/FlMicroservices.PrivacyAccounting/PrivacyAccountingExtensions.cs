using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.PrivacyAccounting.Consumers;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.PrivacyAccounting;

/// <summary>Registration of the privacy-accounting service's logic and consumers.</summary>
public static class PrivacyAccountingExtensions
{
    /// <summary>Section of the service's settings.</summary>
    public const string Section = "PrivacyAccounting";

    /// <summary>The journal's folder under the data root when "PrivacyAccounting:LedgerDirectory" is not set.</summary>
    public const string DefaultLedgerDirectory = "privacy-ledger";

    /// <summary>
    /// Registers the ledger. Every account is journaled in "PrivacyAccounting:LedgerDirectory" (relative: under the data root;
    /// <see cref="DefaultLedgerDirectory"/> when unset) and rebuilt on start (a journal that cannot be trusted stops the service).
    /// Set it empty, or pass no configuration (in-process compositions), and the accounts live in memory only.
    /// </summary>
    public static IServiceCollection AddPrivacyAccountingService(this IServiceCollection services, IConfiguration? configuration = null)
    {
        services.TryAddSingleton(_ => CommandSigning.Off()); // AddFlMessaging puts the deployment's in its place
        var directory = configuration is null ? null
            : Infrastructure.DataRoot.Resolve(configuration, configuration[$"{Section}:LedgerDirectory"] ?? DefaultLedgerDirectory);
        if (string.IsNullOrWhiteSpace(directory)) return services.AddSingleton<PrivacyLedger>();
        return services.AddSingleton(sp =>
        {
            var journal = new FilePrivacyJournal(directory);
            var ledger = new PrivacyLedger(journal);
            var logger = sp.GetService<ILoggerFactory>()?.CreateLogger(typeof(PrivacyLedger));
            foreach (var warning in journal.Warnings) logger?.LogWarning("{Warning}", warning);
            logger?.LogInformation("Privacy ledger in {Directory}: {Tasks} task accounts rebuilt from the journal", directory, ledger.TaskCount);
            return ledger;
        }).AddHostedService<LedgerWarmUp>();
    }

    // Rebuilds the ledger while the host starts, so that a journal it cannot trust stops the service before it answers anyone.
    private sealed class LedgerWarmUp(PrivacyLedger ledger) : Microsoft.Extensions.Hosting.IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.FromResult(ledger.TaskCount);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    public static IBusRegistrationConfigurator AddPrivacyAccountingConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<TaskCreatedConsumer>();
        bus.AddConsumer<CheckPrivacyBudgetConsumer>();
        bus.AddConsumer<RoundCompletedConsumer>();
        return bus;
    }
}
