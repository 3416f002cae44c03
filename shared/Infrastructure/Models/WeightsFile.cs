using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FlMicroservices.Infrastructure.Models;

/// <summary>Flat float32 weights on disk ("FLW1", element count, little-endian floats) and their SHA-256 digest.</summary>
public static class WeightsFile
{
    private static ReadOnlySpan<byte> Magic => "FLW1"u8;

    public static string Digest(ReadOnlySpan<float> weights) =>
        Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(weights)));

    public static byte[] Encode(ReadOnlySpan<float> weights)
    {
        var bytes = new byte[8 + weights.Length * 4];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), weights.Length);
        MemoryMarshal.AsBytes(weights).CopyTo(bytes.AsSpan(8));
        return bytes;
    }

    public static float[] Decode(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < 8 || !bytes[..4].SequenceEqual(Magic))
            throw new InvalidDataException($"{source}: not a weights file (missing FLW1 header)");
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (count < 0 || bytes.Length - 8 != (long)count * 4)
            throw new InvalidDataException($"{source}: header announces {count} weights but {bytes.Length - 8} bytes follow");
        var weights = new float[count];
        MemoryMarshal.Cast<byte, float>(bytes[8..]).CopyTo(weights);
        return weights;
    }

    /// <summary>Writes through a temporary file and a rename, so a crash never leaves a half-written file.</summary>
    public static async Task WriteAtomicAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, bytes, cancellationToken).ConfigureAwait(false);
        File.Move(temp, path, overwrite: true);
    }
}
