using System.Security.Cryptography;
using System.Text;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>Message ids that are a function of what an event is about, so a republished event repeats its id and subscribers can drop the copy.</summary>
public static class EventIds
{
    /// <summary>The id of the <paramref name="eventType"/> event of <paramref name="taskId"/>'s round <paramref name="round"/> (a name-based UUID over SHA-256).</summary>
    public static Guid For(string eventType, string taskId, int round)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"flmicroservices/{eventType}/{taskId}/{round.ToString(System.Globalization.CultureInfo.InvariantCulture)}"), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom), RFC 9562
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash[..16], bigEndian: true);
    }
}
