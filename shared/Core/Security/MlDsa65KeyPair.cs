using System.Security.Cryptography;
using FlMicroservices.Contracts.V1;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;

namespace FlMicroservices.Core.Security;

/// <summary>An ML-DSA-65 key (FIPS 204, post-quantum), from BouncyCastle; the private key is kept as its 32-byte seed.</summary>
public sealed class MlDsa65KeyPair : SigningKeyPair
{
    internal static readonly MLDsaParameters Parameters = MLDsaParameters.ml_dsa_65;
    private const int SeedBytes = 32;
    private readonly MLDsaPrivateKeyParameters _key;

    private MlDsa65KeyPair(MLDsaPrivateKeyParameters key)
    {
        _key = key;
        PublicKey = key.GetPublicKeyEncoded();
    }

    public override string Algorithm => SigningAlgorithms.MlDsa65;

    public override byte[] PublicKey { get; }

    public static MlDsa65KeyPair Generate()
    {
        var generator = new MLDsaKeyPairGenerator();
        generator.Init(new MLDsaKeyGenerationParameters(new SecureRandom(), Parameters));
        return new MlDsa65KeyPair((MLDsaPrivateKeyParameters)generator.GenerateKeyPair().Private);
    }

    public static MlDsa65KeyPair Import(byte[] seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (seed.Length != SeedBytes) throw new CryptographicException($"An ML-DSA-65 private key seed is {SeedBytes} bytes, not {seed.Length}.");
        return new MlDsa65KeyPair(MLDsaPrivateKeyParameters.FromSeed(Parameters, seed));
    }

    public override byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signer = new MLDsaSigner(Parameters, deterministic: false);
        signer.Init(true, new ParametersWithRandom(_key, new SecureRandom()));
        signer.BlockUpdate(message);
        return signer.GenerateSignature();
    }

    public override byte[] ExportPrivateKey() => _key.GetSeed();
}
