using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FlMicroservices.Infrastructure.Models;

namespace FlMicroservices.Infrastructure.Stores.Mongo;

/// <summary>Weights as they lie in GridFS: little-endian float32 values, no header; the digest travels in the file's metadata.</summary>
public static class WeightsBytes
{
    public static byte[] ToLittleEndian(ReadOnlySpan<float> weights)
    {
        var bytes = new byte[weights.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(weights).CopyTo(bytes);
        }
        else
        {
            for (var i = 0; i < weights.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), weights[i]);
        }
        return bytes;
    }

    /// <summary>The weights in <paramref name="bytes"/>; <paramref name="source"/> names them in the error when the length is not a multiple of 4.</summary>
    public static float[] FromLittleEndian(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length % sizeof(float) != 0)
            throw new InvalidDataException($"{source}: {bytes.Length} bytes is not a whole number of float32 weights.");
        var weights = new float[bytes.Length / sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(bytes).CopyTo(weights);
        }
        else
        {
            for (var i = 0; i < weights.Length; i++) weights[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }
        return weights;
    }

    /// <summary>Throws an <see cref="InvalidDataException"/> naming <paramref name="source"/> when the weights' SHA-256 is not <paramref name="expected"/>.</summary>
    public static void VerifyDigest(ReadOnlySpan<float> weights, string? expected, string source)
    {
        if (string.IsNullOrEmpty(expected))
            throw new InvalidDataException($"{source}: the stored weights carry no digest.");
        var actual = WeightsFile.Digest(weights);
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{source}: weights digest mismatch (stored {expected}, computed {actual}); the weights are corrupt.");
    }
}
