using FlMicroservices.Contracts.Wire;
using ZstdSharp;

namespace FlMicroservices.Core.Compression;

/// <summary>zstd on slice payloads (ZstdSharp, a managed port): lossless, bounded on the way in so a crafted payload cannot expand without limit.</summary>
public static class ZstdSlices
{
    /// <summary>zstd's level 3, its default: most of the ratio at a fraction of the higher levels' time.</summary>
    public const int Level = 3;

    public static byte[] Compress(ReadOnlySpan<byte> payload)
    {
        using var compressor = new Compressor(Level);
        return compressor.Wrap(payload).ToArray();
    }

    /// <summary>Decompresses <paramref name="compressed"/>, which must expand to at most <paramref name="maxBytes"/> bytes.</summary>
    /// <exception cref="MalformedSliceException">The data is not zstd, or expands beyond the limit; the message says which.</exception>
    public static byte[] Decompress(ReadOnlySpan<byte> compressed, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        // One spare byte: a payload that fills it expands beyond the limit, and is refused without expanding further.
        var output = new byte[maxBytes + 1];
        int written;
        try
        {
            using var decompressor = new Decompressor();
            written = decompressor.Unwrap(compressed, output);
        }
        catch (ZstdException e) when (e.Code == ZstdSharp.Unsafe.ZSTD_ErrorCode.ZSTD_error_dstSize_tooSmall)
        {
            throw new MalformedSliceException($"zstd payload expands to more than {maxBytes} bytes, the most its element count can take");
        }
        catch (ZstdException e) { throw new MalformedSliceException($"zstd payload does not decompress: {e.Message}"); }
        catch (ArgumentException e) { throw new MalformedSliceException($"zstd payload does not decompress: {e.Message}"); }
        if (written > maxBytes)
            throw new MalformedSliceException($"zstd payload expands to more than {maxBytes} bytes, the most its element count can take");
        return output.AsSpan(0, written).ToArray();
    }
}
