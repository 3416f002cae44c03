using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

public class SecAggWireTests
{
    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static AdvertiseKeys Keys(int id) => new(id, Bytes(64, id), Bytes(64, id + 1), Bytes(32, id + 2));

    private static ShareKeys Shares(int holders) => new(3, Bytes(16, 1), Bytes(16, 2),
        [.. Enumerable.Range(0, holders).Select(h => new EncryptedShare(h, Bytes(96, h), Bytes(16, h + 50), Bytes(16, h + 60)))]);

    public static TheoryData<string, ISecAggMessage, long> Messages() => new()
    {
        { "advertise", Keys(7), 165 },
        { "directory", new KeyDirectory(2, [Keys(1), Keys(3), Keys(9)]), 9 + 3 * 164 },
        { "share keys", Shares(14), 41 + 14 * 132 },
        { "delivery", new ShareDelivery(4, [new RoutedShare(1, Bytes(96, 1), Bytes(16, 2), Bytes(16, 3))]), 9 + 132 },
        { "masked input", new MaskedInput(5, [1, 2, uint.MaxValue], [8, 9]), 13 + 12 + 8 },
        { "request", new UnmaskingRequest(5, [1, 5, 6], [2]), 13 + 12 + 4 },
        { "response", new UnmaskingResponse(5, [new RevealedShare(1, Bytes(32, 1)), new RevealedShare(6, Bytes(32, 6))],
            [new RevealedShare(2, Bytes(48, 2))]), 13 + 2 * 36 + 52 },
        { "plain", new PlainUpdate(1, [1.5f, -0f, float.Epsilon]), 9 + 12 },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips_at_its_documented_length(string name, ISecAggMessage message, long length)
    {
        var bytes = SecAggWire.Encode(message);
        Assert.True(length == bytes.Length, name);
        Assert.Equal(length, SecAggWire.EncodedLength(message));
        var decoded = SecAggWire.Decode(bytes);
        Assert.Equal(message.GetType(), decoded.GetType());
        Assert.Equal(bytes, SecAggWire.Encode(decoded)); // field by field, arrays included

        Assert.Throws<FormatException>(() => SecAggWire.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Throws<FormatException>(() => SecAggWire.Decode([.. bytes, 0]));
    }

    [Fact]
    public void Decoded_fields_equal_the_originals()
    {
        var original = new MaskedInput(5, [1, 2, uint.MaxValue], [8, 9]);
        var decoded = SecAggWire.Decode<MaskedInput>(SecAggWire.Encode(original));
        Assert.Equal(5, decoded.ClientId);
        Assert.Equal(original.MaskedVector, decoded.MaskedVector);
        Assert.Equal(original.Complaints, decoded.Complaints);
        var plain = SecAggWire.Decode<PlainUpdate>(SecAggWire.Encode(new PlainUpdate(1, [1.5f, -2.25f])));
        Assert.Equal(new[] { 1.5f, -2.25f }, plain.Update);
    }

    [Fact]
    public void Garbage_is_a_format_error_not_a_crash()
    {
        Assert.Throws<FormatException>(() => SecAggWire.Decode([]));
        Assert.Throws<FormatException>(() => SecAggWire.Decode([99, 0, 0, 0, 0]));
        Assert.Throws<FormatException>(() => SecAggWire.Decode([(byte)SecAggMessageKind.MaskedInput, 1, 0, 0, 0, 255, 255, 255, 127]));
        Assert.Throws<FormatException>(() => SecAggWire.Decode<MaskedInput>(SecAggWire.Encode(Keys(1))));
        Assert.Throws<ArgumentException>(() => SecAggWire.Encode(new AdvertiseKeys(1, new byte[63], new byte[64], new byte[32])));
    }
}
