using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Compression;

namespace FlMicroservices.Core.Tests.Compression;

public class ZstdSlicesTests
{
    [Fact]
    public void Round_trips_exactly_and_shrinks_redundant_payloads()
    {
        var random = new Random(4);
        var payload = new byte[65_536];
        for (var i = 0; i < payload.Length; i++) payload[i] = (byte)(random.Next(8) == 0 ? random.Next(256) : 0);

        var compressed = ZstdSlices.Compress(payload);

        Assert.Equal(payload, ZstdSlices.Decompress(compressed, payload.Length));
        Assert.True(compressed.Length < payload.Length / 2, $"{compressed.Length} bytes");
    }

    [Fact]
    public void Garbage_and_bombs_are_rejected_with_a_reason()
    {
        var compressed = ZstdSlices.Compress(new byte[100_000]);

        Assert.Contains("more than 1000 bytes", Assert.Throws<MalformedSliceException>(() => ZstdSlices.Decompress(compressed, 1000)).Message);
        Assert.Contains("does not decompress", Assert.Throws<MalformedSliceException>(() => ZstdSlices.Decompress([1, 2, 3, 4, 5, 6, 7, 8], 1000)).Message);
        Assert.Contains("does not decompress", Assert.Throws<MalformedSliceException>(() => ZstdSlices.Decompress(compressed[..^2], 100_000)).Message);
    }
}
