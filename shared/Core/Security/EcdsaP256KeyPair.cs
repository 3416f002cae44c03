using System.Security.Cryptography;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Core.Security;

/// <summary>An ECDSA key on NIST P-256 signing SHA-256 digests (IEEE P1363 signatures, 64 bytes), from the .NET base library.</summary>
public sealed class EcdsaP256KeyPair : SigningKeyPair
{
    private readonly ECDsa _key;

    private EcdsaP256KeyPair(ECDsa key)
    {
        _key = key;
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    public override string Algorithm => SigningAlgorithms.EcdsaP256;

    public override byte[] PublicKey { get; }

    public static EcdsaP256KeyPair Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public static EcdsaP256KeyPair Import(byte[] pkcs8)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            if (key.KeySize != 256) throw new CryptographicException($"The key is on a {key.KeySize}-bit curve, not P-256.");
            return new EcdsaP256KeyPair(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    public override byte[] Sign(ReadOnlySpan<byte> message) => _key.SignData(message, HashAlgorithmName.SHA256);

    public override byte[] ExportPrivateKey() => _key.ExportPkcs8PrivateKey();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _key.Dispose();
    }
}
