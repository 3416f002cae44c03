using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FlMicroservices.AppHost;

/// <summary>Loopback ports: free ones for the infrastructure, and whether one accepts connections (readiness).</summary>
internal static class Ports
{
    private static int _next = Random.Shared.Next(0, 10000);

    /// <summary>
    /// A port nothing listens on now, below the kernel's ephemeral range (32768 and up on Linux) so that no outgoing
    /// connection can take it before the infrastructure process binds it.
    /// </summary>
    public static int Free()
    {
        for (var attempt = 0; attempt < 2000; attempt++)
        {
            var port = 20000 + Interlocked.Increment(ref _next) % 12000;
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("No free TCP port between 20000 and 31999 on 127.0.0.1.");
    }

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
