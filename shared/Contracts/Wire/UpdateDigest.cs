using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace FlMicroservices.Contracts.Wire;

/// <summary>The digest in an update's manifest: SHA-256 over the CRC-32 of every slice payload, in slice order.</summary>
/// <remarks>
/// Built from per-slice checksums so that an aggregator that sees slices in any order, and never holds
/// the whole update, can still check the manifest against what it received.
/// </remarks>
public static class UpdateDigest
{
    public static uint SliceChecksum(ReadOnlySpan<byte> payload) => Crc32.HashToUInt32(payload);

    /// <summary>The CRC-32 of the slice's payload: the one decoding verified when there is one, else computed.</summary>
    public static uint SliceChecksum(UpdateSlice slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        return slice.PayloadChecksum ?? SliceChecksum(slice.Payload.Span);
    }

    public static string FromChecksums(ReadOnlySpan<uint> checksums)
    {
        var bytes = new byte[checksums.Length * 4];
        for (var i = 0; i < checksums.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), checksums[i]);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    public static string Of(IReadOnlyList<UpdateSlice> slicesInOrder)
    {
        var checksums = new uint[slicesInOrder.Count];
        for (var i = 0; i < checksums.Length; i++) checksums[i] = SliceChecksum(slicesInOrder[i].Payload.Span);
        return FromChecksums(checksums);
    }
}
