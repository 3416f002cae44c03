using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Core.Security;

/// <summary>A client's private signing key with its public half, for one algorithm of <see cref="SigningAlgorithms"/>.</summary>
public abstract class SigningKeyPair : IDisposable
{
    /// <summary>The algorithm's name (<see cref="SigningAlgorithms"/>).</summary>
    public abstract string Algorithm { get; }

    /// <summary>The public key in the encoding <see cref="SignatureVerifier"/> takes.</summary>
    public abstract byte[] PublicKey { get; }

    /// <summary>Signs <paramref name="message"/> (randomised: two signatures of one message differ).</summary>
    public abstract byte[] Sign(ReadOnlySpan<byte> message);

    /// <summary>The private key, to be kept by its owner (ecdsa-p256: PKCS#8; ml-dsa-65: the 32-byte seed).</summary>
    public abstract byte[] ExportPrivateKey();

    /// <summary>The public key as registration carries it.</summary>
    public ClientKey ToClientKey() => new(Algorithm, Convert.ToBase64String(PublicKey));

    /// <summary>A fresh key pair of <paramref name="algorithm"/>.</summary>
    /// <exception cref="ArgumentException">The algorithm is not one a key is held for.</exception>
    public static SigningKeyPair Generate(string algorithm) => algorithm switch
    {
        SigningAlgorithms.EcdsaP256 => EcdsaP256KeyPair.Generate(),
        SigningAlgorithms.MlDsa65 => MlDsa65KeyPair.Generate(),
        _ => throw Unknown(algorithm),
    };

    /// <summary>The key pair whose private key <see cref="ExportPrivateKey"/> returned.</summary>
    /// <exception cref="ArgumentException">Unknown algorithm.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">The bytes are not such a key.</exception>
    public static SigningKeyPair Import(string algorithm, byte[] privateKey) => algorithm switch
    {
        SigningAlgorithms.EcdsaP256 => EcdsaP256KeyPair.Import(privateKey),
        SigningAlgorithms.MlDsa65 => MlDsa65KeyPair.Import(privateKey),
        _ => throw Unknown(algorithm),
    };

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }

    private static ArgumentException Unknown(string algorithm) =>
        new($"Signing algorithm '{algorithm}' is unknown (known: {string.Join(", ", SigningAlgorithms.Keyed)}).", nameof(algorithm));
}
