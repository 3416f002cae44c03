using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.ServiceDefaults;

/// <summary>Says loudly, at every start, that a development-only setting weakens this process (critical log and standard error).</summary>
public sealed class UnsafeSettingWarning(string message, ILogger<UnsafeSettingWarning> logger) : IHostedService
{
    /// <summary>The warning, as logged and written to standard error after "WARNING: ".</summary>
    public string Message { get; } = message;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogCritical("{Warning}", Message);
        Console.Error.WriteLine($"WARNING: {Message}");
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Registers <see cref="UnsafeSettingWarning"/>s.</summary>
public static class UnsafeSettingWarningExtensions
{
    /// <summary>Adds a start-up warning naming the unsafe setting and what it exposes; several may be added.</summary>
    public static IServiceCollection AddUnsafeSettingWarning(this IServiceCollection services, string message)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(message);
        // A factory registration: AddHostedService would keep only the first warning of this type.
        services.AddSingleton<IHostedService>(provider => new UnsafeSettingWarning(message, provider.GetRequiredService<ILogger<UnsafeSettingWarning>>()));
        return services;
    }
}
