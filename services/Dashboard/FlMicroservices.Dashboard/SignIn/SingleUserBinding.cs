using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Dashboard.SignIn;

/// <summary>Single-user mode acts with one configured token for whoever reaches the dashboard: it stops the host when it listens beyond loopback.</summary>
public sealed class SingleUserBinding(IServer server, IHostApplicationLifetime lifetime, ILogger<SingleUserBinding> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Check);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Whether <paramref name="address"/> (a Kestrel listening address such as http://127.0.0.1:5107 or http://[::]:8080) is loopback only.</summary>
    public static bool IsLoopback(string address)
    {
        var host = BindingAddress.Parse(address).Host.Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>The refusal for the addresses beyond loopback, naming the settings; null when every address is loopback.</summary>
    public static string? Refusal(IEnumerable<string> addresses)
    {
        var open = addresses.Where(a => !IsLoopback(a)).ToArray();
        return open.Length == 0 ? null
            : $"{DashboardOptions.Section}:SingleUser is true (every visitor acts with the one configured operator token), so the dashboard listens on " +
              $"loopback only, but it listens on {string.Join(", ", open)}. Let people sign in (remove {DashboardOptions.Section}:SingleUser and " +
              $"{DashboardOptions.Section}:OperatorToken/OperatorTokenFile/DevelopmentIssuerRole), or bind to 127.0.0.1 (Urls / ASPNETCORE_URLS).";
    }

    private void Check()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        if (Refusal(addresses) is not { } refusal) return;
        logger.LogCritical("{Refusal}", refusal);
        Console.Error.WriteLine($"error: {refusal}");
        Environment.ExitCode = 2;
        lifetime.StopApplication();
    }
}
