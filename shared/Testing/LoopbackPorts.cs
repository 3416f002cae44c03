using System.Net;
using System.Net.Sockets;

namespace FlMicroservices.Testing;

/// <summary>
/// Free loopback ports below the kernel's ephemeral range (Linux: 32768-60999). A port the kernel hands out for port 0
/// can be taken by any outgoing connection between the pick and the bind of the process it is meant for, which made a
/// restarted service fail with "address already in use". Ports go out in turn from a random start, so two callers in
/// one process never get the same one. Internal and linked into the AppHost, which picks its infrastructure's ports.
/// </summary>
internal static class LoopbackPorts
{
    private const int First = 20000, Count = 12000;
    private static int _next = Random.Shared.Next(0, Count);

    public static int Free()
    {
        for (var attempt = 0; attempt < Count; attempt++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
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
        throw new InvalidOperationException($"No free TCP port between {First} and {First + Count - 1} on 127.0.0.1.");
    }
}
