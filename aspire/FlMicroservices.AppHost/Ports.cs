using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FlMicroservices.AppHost;

/// <summary>Loopback ports: free ones for the infrastructure, and whether one accepts connections (readiness).</summary>
internal static class Ports
{
    /// <summary>A port nothing listens on now, below the ephemeral range (shared/Testing/LoopbackPorts.cs says why).</summary>
    public static int Free() => FlMicroservices.Testing.LoopbackPorts.Free();

    public static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    public static async Task<bool> ListensAsync(int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The port of the first "host:port" in a comma-separated list.</summary>
    public static bool TryParse(string servers, out int port)
    {
        var first = servers.Split(',')[0].Trim();
        var colon = first.LastIndexOf(':');
        port = 0;
        return colon > 0 && int.TryParse(first.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port);
    }
}
