using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>
/// A compact binary encoding of the messages, whose lengths are what <see cref="SecAggSimulator"/> counts as bytes on the wire.
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Library notes: SecAggWire".</remarks>
public static class SecAggWire
{
    /// <summary>Bytes of a revealed share of b_u: 2 field elements.</summary>
    public static readonly int SelfMaskShareBytes = ShamirSecretSharing.ChunkCount(MaskPrg.SeedBytes) * Field127.ByteCount;

    /// <summary>Bytes of a revealed share of the masking key: 3 field elements.</summary>
    public static readonly int MaskingKeyShareBytes = ShamirSecretSharing.ChunkCount(SecAggCrypto.PrivateKeyBytes) * Field127.ByteCount;

    /// <summary>Bytes of an encrypted share pair: both shares and the AES-GCM tag.</summary>
    public static readonly int ShareCiphertextBytes = SelfMaskShareBytes + MaskingKeyShareBytes + SecAggCrypto.TagBytes;

    private const int KeysBodyBytes = 4 + SecAggCrypto.PublicKeyBytes * 2 + SecAggCrypto.SelfMaskCommitmentBytes;
    private static readonly int RoutedShareBytes = 4 + ShareCiphertextBytes + 2 * SecAggCrypto.ShareCommitmentBytes;

    /// <summary>The exact length of <see cref="Encode"/>'s output.</summary>
    public static long EncodedLength(ISecAggMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message switch
        {
            AdvertiseKeys => 1 + KeysBodyBytes,
            KeyDirectory m => 1 + 4 + 4 + (long)KeysBodyBytes * m.Neighbours.Count,
            ShareKeys m => 1 + 4 + 2 * SecAggCrypto.ShareCommitmentBytes + 4 + (long)RoutedShareBytes * m.Shares.Count,
            ShareDelivery m => 1 + 4 + 4 + (long)RoutedShareBytes * m.Shares.Count,
            MaskedInput m => 1 + 4 + 4 + 4L * m.MaskedVector.Length + 4 + 4L * m.Complaints.Count,
            UnmaskingRequest m => 1 + 4 + 4 + 4L * m.Survivors.Count + 4 + 4L * m.Dropped.Count,
            UnmaskingResponse m => 1 + 4 + 4 + (4L + SelfMaskShareBytes) * m.SelfMaskShares.Count
                + 4 + (4L + MaskingKeyShareBytes) * m.MaskingKeyShares.Count,
            PlainUpdate m => 1 + 4 + 4 + 4L * m.Update.Length,
            _ => throw new ArgumentException($"Unknown message type {message.GetType().Name}.", nameof(message)),
        };
    }

    /// <exception cref="ArgumentException">A fixed-length field has the wrong length.</exception>
    public static byte[] Encode(ISecAggMessage message)
    {
        var length = EncodedLength(message);
        if (length > Array.MaxLength) throw new ArgumentException("The message is too large to encode.", nameof(message));
        var bytes = new byte[length];
        var writer = new Writer(bytes);
        writer.Byte((byte)message.Kind);
        switch (message)
        {
            case AdvertiseKeys m:
                WriteKeys(ref writer, m);
                break;
            case KeyDirectory m:
                writer.Int(m.RecipientId);
                writer.Int(m.Neighbours.Count);
                foreach (var keys in m.Neighbours) WriteKeys(ref writer, keys);
                break;
            case ShareKeys m:
                writer.Int(m.DealerId);
                writer.Fixed(m.OwnSelfMaskShareCommitment, SecAggCrypto.ShareCommitmentBytes);
                writer.Fixed(m.OwnMaskingKeyShareCommitment, SecAggCrypto.ShareCommitmentBytes);
                writer.Int(m.Shares.Count);
                foreach (var s in m.Shares) WriteRouted(ref writer, s.HolderId, s.Ciphertext, s.SelfMaskShareCommitment, s.MaskingKeyShareCommitment);
                break;
            case ShareDelivery m:
                writer.Int(m.RecipientId);
                writer.Int(m.Shares.Count);
                foreach (var s in m.Shares) WriteRouted(ref writer, s.DealerId, s.Ciphertext, s.SelfMaskShareCommitment, s.MaskingKeyShareCommitment);
                break;
            case MaskedInput m:
                writer.Int(m.ClientId);
                writer.Int(m.MaskedVector.Length);
                writer.UInts(m.MaskedVector);
                writer.Ints(m.Complaints);
                break;
            case UnmaskingRequest m:
                writer.Int(m.RecipientId);
                writer.Ints(m.Survivors);
                writer.Ints(m.Dropped);
                break;
            case UnmaskingResponse m:
                writer.Int(m.ClientId);
                WriteRevealed(ref writer, m.SelfMaskShares, SelfMaskShareBytes);
                WriteRevealed(ref writer, m.MaskingKeyShares, MaskingKeyShareBytes);
                break;
            case PlainUpdate m:
                writer.Int(m.ClientId);
                writer.Int(m.Update.Length);
                writer.UInts(MemoryMarshal.Cast<float, uint>(m.Update));
                break;
        }
        return bytes;
    }

    /// <exception cref="FormatException">Truncated, oversized, unknown type or trailing bytes.</exception>
    public static ISecAggMessage Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new Reader(bytes);
        ISecAggMessage message = (SecAggMessageKind)reader.Byte() switch
        {
            SecAggMessageKind.AdvertiseKeys => ReadKeys(ref reader),
            SecAggMessageKind.KeyDirectory => ReadDirectory(ref reader),
            SecAggMessageKind.ShareKeys => ReadShareKeys(ref reader),
            SecAggMessageKind.ShareDelivery => ReadDelivery(ref reader),
            SecAggMessageKind.MaskedInput => new MaskedInput(reader.Int(), reader.UInts(reader.Count(4)), reader.Ints()),
            SecAggMessageKind.UnmaskingRequest => new UnmaskingRequest(reader.Int(), reader.Ints(), reader.Ints()),
            SecAggMessageKind.UnmaskingResponse => new UnmaskingResponse(reader.Int(),
                ReadRevealed(ref reader, SelfMaskShareBytes), ReadRevealed(ref reader, MaskingKeyShareBytes)),
            SecAggMessageKind.PlainUpdate => ReadPlain(ref reader),
            var kind => throw new FormatException($"Unknown message type {(byte)kind}."),
        };
        if (!reader.AtEnd) throw new FormatException("Trailing bytes after the message.");
        return message;
    }

    /// <summary><see cref="Decode"/>, checking the message type.</summary>
    public static T Decode<T>(ReadOnlySpan<byte> bytes) where T : ISecAggMessage =>
        Decode(bytes) is T message ? message : throw new FormatException($"The bytes are not a {typeof(T).Name}.");

    private static void WriteKeys(ref Writer writer, AdvertiseKeys m)
    {
        writer.Int(m.ClientId);
        writer.Fixed(m.EncryptionPublicKey, SecAggCrypto.PublicKeyBytes);
        writer.Fixed(m.MaskingPublicKey, SecAggCrypto.PublicKeyBytes);
        writer.Fixed(m.SelfMaskCommitment, SecAggCrypto.SelfMaskCommitmentBytes);
    }

    private static AdvertiseKeys ReadKeys(ref Reader reader) => new(reader.Int(),
        reader.Fixed(SecAggCrypto.PublicKeyBytes), reader.Fixed(SecAggCrypto.PublicKeyBytes), reader.Fixed(SecAggCrypto.SelfMaskCommitmentBytes));

    private static KeyDirectory ReadDirectory(ref Reader reader)
    {
        var recipient = reader.Int();
        var list = new AdvertiseKeys[reader.Count(KeysBodyBytes)];
        for (var i = 0; i < list.Length; i++) list[i] = ReadKeys(ref reader);
        return new KeyDirectory(recipient, list);
    }

    private static void WriteRouted(ref Writer writer, int id, byte[] ciphertext, byte[] selfMaskCommitment, byte[] maskingKeyCommitment)
    {
        writer.Int(id);
        writer.Fixed(ciphertext, ShareCiphertextBytes);
        writer.Fixed(selfMaskCommitment, SecAggCrypto.ShareCommitmentBytes);
        writer.Fixed(maskingKeyCommitment, SecAggCrypto.ShareCommitmentBytes);
    }

    private static ShareKeys ReadShareKeys(ref Reader reader)
    {
        var dealer = reader.Int();
        var ownB = reader.Fixed(SecAggCrypto.ShareCommitmentBytes);
        var ownS = reader.Fixed(SecAggCrypto.ShareCommitmentBytes);
        var shares = new EncryptedShare[reader.Count(RoutedShareBytes)];
        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] = new EncryptedShare(reader.Int(), reader.Fixed(ShareCiphertextBytes),
                reader.Fixed(SecAggCrypto.ShareCommitmentBytes), reader.Fixed(SecAggCrypto.ShareCommitmentBytes));
        }
        return new ShareKeys(dealer, ownB, ownS, shares);
    }

    private static ShareDelivery ReadDelivery(ref Reader reader)
    {
        var recipient = reader.Int();
        var shares = new RoutedShare[reader.Count(RoutedShareBytes)];
        for (var i = 0; i < shares.Length; i++)
        {
            shares[i] = new RoutedShare(reader.Int(), reader.Fixed(ShareCiphertextBytes),
                reader.Fixed(SecAggCrypto.ShareCommitmentBytes), reader.Fixed(SecAggCrypto.ShareCommitmentBytes));
        }
        return new ShareDelivery(recipient, shares);
    }

    private static void WriteRevealed(ref Writer writer, IReadOnlyList<RevealedShare> shares, int shareBytes)
    {
        writer.Int(shares.Count);
        foreach (var share in shares)
        {
            writer.Int(share.DealerId);
            writer.Fixed(share.Share, shareBytes);
        }
    }

    private static RevealedShare[] ReadRevealed(ref Reader reader, int shareBytes)
    {
        var shares = new RevealedShare[reader.Count(4 + shareBytes)];
        for (var i = 0; i < shares.Length; i++) shares[i] = new RevealedShare(reader.Int(), reader.Fixed(shareBytes));
        return shares;
    }

    private static PlainUpdate ReadPlain(ref Reader reader)
    {
        var id = reader.Int();
        var update = new float[reader.Count(4)];
        reader.UInts(MemoryMarshal.Cast<float, uint>(update.AsSpan()));
        return new PlainUpdate(id, update);
    }

    private ref struct Writer(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;
        private int _position;

        public void Byte(byte value) => _destination[_position++] = value;

        public void Int(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_destination[_position..], value);
            _position += 4;
        }

        public void Ints(IReadOnlyList<int> values)
        {
            Int(values.Count);
            foreach (var value in values) Int(value);
        }

        public void UInts(ReadOnlySpan<uint> values)
        {
            var target = _destination.Slice(_position, values.Length * sizeof(uint));
            if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(values).CopyTo(target);
            else BinaryPrimitives.ReverseEndianness(values, MemoryMarshal.Cast<byte, uint>(target));
            _position += target.Length;
        }

        public void Fixed(byte[] value, int length)
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Length != length) throw new ArgumentException($"A field of {length} bytes has {value.Length}.", nameof(value));
            value.CopyTo(_destination[_position..]);
            _position += length;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> source)
    {
        private readonly ReadOnlySpan<byte> _source = source;
        private int _position;

        public readonly bool AtEnd => _position == _source.Length;

        private ReadOnlySpan<byte> Take(int length)
        {
            if (length < 0 || length > _source.Length - _position) throw new FormatException("The message is truncated.");
            var slice = _source.Slice(_position, length);
            _position += length;
            return slice;
        }

        public byte Byte() => Take(1)[0];

        public int Int() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

        /// <summary>A count of items of <paramref name="itemBytes"/> each, checked against the bytes left.</summary>
        public int Count(int itemBytes)
        {
            var count = Int();
            if (count < 0 || count > (_source.Length - _position) / itemBytes) throw new FormatException("A count exceeds the message.");
            return count;
        }

        public int[] Ints()
        {
            var values = new int[Count(4)];
            for (var i = 0; i < values.Length; i++) values[i] = Int();
            return values;
        }

        public uint[] UInts(int count)
        {
            var values = new uint[count];
            UInts(values);
            return values;
        }

        public void UInts(Span<uint> values)
        {
            var bytes = Take(values.Length * sizeof(uint));
            if (BitConverter.IsLittleEndian) bytes.CopyTo(MemoryMarshal.AsBytes(values));
            else BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(bytes), values);
        }

        public byte[] Fixed(int length) => Take(length).ToArray();
    }
}
