using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FlMicroservices.Core.Security;

/// <summary>What a client signs for an update: its digest bound to task, round, model version, client, nonce and sizes, in one unambiguous encoding.</summary>
/// <param name="Kind">"update" for a plain update, "masked-update" for a secure round's masked one.</param>
public sealed record UpdateStatement(string Kind, string TaskId, int Round, int ModelVersion, string ClientId, string Nonce, string Digest,
    int ExampleCount, int SliceCount, int ElementCount)
{
    private static readonly byte[] Domain = Encoding.UTF8.GetBytes("FlMicroservices/update-statement/v1");

    /// <summary>The bytes signed: a domain tag, then each field (text length-prefixed, numbers as 32-bit little-endian).</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        buffer.Write(Domain);
        foreach (var text in new[] { Kind, TaskId, ClientId, Nonce, Digest }) WriteText(buffer, text);
        foreach (var number in new[] { Round, ModelVersion, ExampleCount, SliceCount, ElementCount }) WriteInt(buffer, number);
        return buffer.ToArray();
    }

    /// <summary>A fresh 128-bit nonce, hex.</summary>
    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static void WriteText(Stream buffer, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text ?? "");
        WriteInt(buffer, bytes.Length);
        buffer.Write(bytes);
    }

    private static void WriteInt(Stream buffer, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        buffer.Write(bytes);
    }
}
