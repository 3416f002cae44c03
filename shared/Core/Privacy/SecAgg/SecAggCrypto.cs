using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>Which of a dealer's two secrets a share belongs to.</summary>
public enum SharedSecret : byte
{
    /// <summary>b_u, the 16-byte seed of the self mask; revealed (reconstructed) for clients that survive.</summary>
    SelfMaskSeed = 1,

    /// <summary>The 32-byte P-256 private scalar of s_u, the pairwise-mask key; revealed for clients that drop.</summary>
    MaskingKey = 2,
}

/// <summary>
/// The primitives of the protocol, all from the .NET base library: ECDH on P-256, HKDF-SHA256, AES-128-GCM, SHA-256.
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Library notes: SecAggCrypto".</remarks>
internal static class SecAggCrypto
{
    public const int PublicKeyBytes = 64;
    public const int PrivateKeyBytes = 32;
    public const int ShareCommitmentBytes = 16;
    public const int SelfMaskCommitmentBytes = 32;
    public const int TagBytes = 16;
    private const int CoordinateBytes = 32;
    private const int KeyBytes = 16;

    // The order of the P-256 group, big-endian (FIPS 186-4, D.1.2.3).
    private static readonly byte[] GroupOrder = Convert.FromHexString("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");

    private static readonly byte[] MaskInfo = Encoding.UTF8.GetBytes("FlMicroservices.SecAgg/v1/pairwise-mask");
    private static readonly byte[] ChannelInfo = Encoding.UTF8.GetBytes("FlMicroservices.SecAgg/v1/share-channel");
    private static readonly byte[] ShareCommitmentTag = Encoding.UTF8.GetBytes("FlMicroservices.SecAgg/v1/share-commitment");
    private static readonly byte[] SelfMaskCommitmentTag = Encoding.UTF8.GetBytes("FlMicroservices.SecAgg/v1/self-mask-commitment");

    public static ECCurve Curve => ECCurve.NamedCurves.nistP256;

    /// <summary>A P-256 key pair whose private scalar is drawn from <paramref name="random"/> (uniform in [1, order − 1]).</summary>
    public static ECDiffieHellman GenerateKey(RandomNumberGenerator random)
    {
        var scalar = new byte[PrivateKeyBytes];
        try
        {
            do random.GetBytes(scalar);
            while (scalar.AsSpan().SequenceCompareTo(GroupOrder) >= 0 || !scalar.AsSpan().ContainsAnyExcept((byte)0));
            var key = ECDiffieHellman.Create();
            key.ImportParameters(new ECParameters { Curve = Curve, D = scalar });
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalar);
        }
    }

    public static byte[] ExportPublicKey(ECDiffieHellman key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        var bytes = new byte[PublicKeyBytes];
        parameters.Q.X!.CopyTo(bytes, CoordinateBytes - parameters.Q.X!.Length);
        parameters.Q.Y!.CopyTo(bytes, PublicKeyBytes - parameters.Q.Y!.Length);
        return bytes;
    }

    public static byte[] ExportPrivateKey(ECDiffieHellman key)
    {
        var d = key.ExportParameters(includePrivateParameters: true).D!;
        if (d.Length == PrivateKeyBytes) return d;
        var padded = new byte[PrivateKeyBytes];
        d.CopyTo(padded, PrivateKeyBytes - d.Length);
        return padded;
    }

    /// <summary>Imports X ‖ Y; throws <see cref="CryptographicException"/> for a point that is not on P-256.</summary>
    public static ECDiffieHellman ImportPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeyBytes) throw new CryptographicException($"A public key is {PublicKeyBytes} bytes.");
        var key = ECDiffieHellman.Create();
        try
        {
            key.ImportParameters(new ECParameters
            {
                Curve = Curve,
                Q = new ECPoint { X = publicKey[..CoordinateBytes].ToArray(), Y = publicKey[CoordinateBytes..].ToArray() },
            });
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public static bool IsValidPublicKey(ReadOnlySpan<byte> publicKey)
    {
        try
        {
            using var key = ImportPublicKey(publicKey);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// Imports a private scalar and checks that its public key is <paramref name="expectedPublicKey"/>: the exact test that a
    /// reconstructed masking key is the one the dealer advertised. False (and null) for a scalar out of range or a mismatch.
    /// </summary>
    public static bool TryImportPrivateKey(ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> expectedPublicKey, out ECDiffieHellman? key)
    {
        key = null;
        if (scalar.Length != PrivateKeyBytes || scalar.SequenceCompareTo(GroupOrder) >= 0 || !scalar.ContainsAnyExcept((byte)0)) return false;
        var candidate = ECDiffieHellman.Create();
        try
        {
            candidate.ImportParameters(new ECParameters { Curve = Curve, D = scalar.ToArray() });
            if (!CryptographicOperations.FixedTimeEquals(ExportPublicKey(candidate), expectedPublicKey))
            {
                candidate.Dispose();
                return false;
            }
            key = candidate;
            return true;
        }
        catch (CryptographicException)
        {
            candidate.Dispose();
            return false;
        }
    }

    /// <summary>HKDF(ECDH(mine, theirs), salt = session, info = purpose ‖ min(u, v) ‖ max(u, v)), 16 bytes.</summary>
    public static byte[] DeriveMaskSeed(ECDiffieHellman mine, ECDiffieHellman theirs, ReadOnlySpan<byte> session, int u, int v) =>
        Derive(mine, theirs, session, MaskInfo, u, v);

    public static byte[] DeriveChannelKey(ECDiffieHellman mine, ECDiffieHellman theirs, ReadOnlySpan<byte> session, int u, int v) =>
        Derive(mine, theirs, session, ChannelInfo, u, v);

    private static byte[] Derive(ECDiffieHellman mine, ECDiffieHellman theirs, ReadOnlySpan<byte> session, byte[] purpose, int u, int v)
    {
        using var theirPublic = theirs.PublicKey;
        var shared = mine.DeriveRawSecretAgreement(theirPublic);
        try
        {
            var info = new byte[purpose.Length + 8];
            purpose.CopyTo(info, 0);
            BinaryPrimitives.WriteInt32LittleEndian(info.AsSpan(purpose.Length), Math.Min(u, v));
            BinaryPrimitives.WriteInt32LittleEndian(info.AsSpan(purpose.Length + 4), Math.Max(u, v));
            var key = new byte[KeyBytes];
            HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, key, session, info);
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    public static byte[] CommitShare(ReadOnlySpan<byte> session, SharedSecret secret, int dealer, int holder, ReadOnlySpan<byte> share)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(ShareCommitmentTag);
        hash.AppendData(session);
        Span<byte> header = stackalloc byte[9];
        header[0] = (byte)secret;
        BinaryPrimitives.WriteInt32LittleEndian(header[1..], dealer);
        BinaryPrimitives.WriteInt32LittleEndian(header[5..], holder);
        hash.AppendData(header);
        hash.AppendData(share);
        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return digest[..ShareCommitmentBytes].ToArray();
    }

    public static byte[] CommitSelfMask(ReadOnlySpan<byte> session, int dealer, ReadOnlySpan<byte> seed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(SelfMaskCommitmentTag);
        hash.AppendData(session);
        Span<byte> header = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, dealer);
        hash.AppendData(header);
        hash.AppendData(seed);
        return hash.GetHashAndReset();
    }

    public static byte[] EncryptShare(ReadOnlySpan<byte> key, ReadOnlySpan<byte> session, int dealer, int holder, ReadOnlySpan<byte> plaintext)
    {
        var ciphertext = new byte[plaintext.Length + TagBytes];
        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, dealer, holder);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, plaintext, ciphertext.AsSpan(0, plaintext.Length), ciphertext.AsSpan(plaintext.Length), session);
        return ciphertext;
    }

    /// <summary>False when the ciphertext has the wrong length or fails authentication.</summary>
    public static bool TryDecryptShare(ReadOnlySpan<byte> key, ReadOnlySpan<byte> session, int dealer, int holder,
        ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (ciphertext.Length != plaintext.Length + TagBytes) return false;
        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, dealer, holder);
        using var aes = new AesGcm(key, TagBytes);
        try
        {
            aes.Decrypt(nonce, ciphertext[..plaintext.Length], ciphertext[plaintext.Length..], plaintext, session);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            plaintext.Clear();
            return false;
        }
    }

    private static void WriteNonce(Span<byte> nonce, int dealer, int holder)
    {
        nonce.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(nonce, dealer);
        BinaryPrimitives.WriteInt32LittleEndian(nonce[4..], holder);
    }
}
