using System.Security.Cryptography;
using FlMicroservices.Contracts.V1;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace FlMicroservices.Core.Security;

/// <summary>Checks a signature against a public key of one of <see cref="SigningAlgorithms"/>.</summary>
public static class SignatureVerifier
{
    /// <summary>True when <paramref name="signature"/> is <paramref name="publicKey"/>'s signature of <paramref name="message"/>; false for any
    /// malformed key or signature, or an unknown algorithm.</summary>
    public static bool Verify(string algorithm, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => algorithm switch
    {
        SigningAlgorithms.EcdsaP256 => VerifyEcdsa(publicKey, message, signature),
        SigningAlgorithms.MlDsa65 => VerifyMlDsa(publicKey, message, signature),
        _ => false,
    };

    /// <summary>Why <paramref name="publicKey"/> is not a key of <paramref name="algorithm"/>, or null when it is one.</summary>
    public static string? KeyProblem(string algorithm, ReadOnlySpan<byte> publicKey)
    {
        try
        {
            switch (algorithm)
            {
                case SigningAlgorithms.EcdsaP256:
                    using (var key = ECDsa.Create())
                    {
                        key.ImportSubjectPublicKeyInfo(publicKey, out var read);
                        return key.KeySize == 256 && read == publicKey.Length ? null : "is not a P-256 public key";
                    }
                case SigningAlgorithms.MlDsa65:
                    MLDsaPublicKeyParameters.FromEncoding(MlDsa65KeyPair.Parameters, publicKey.ToArray());
                    return null;
                default:
                    return $"names an unknown algorithm (known: {string.Join(", ", SigningAlgorithms.Keyed)})";
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            return $"is not a valid {algorithm} public key";
        }
    }

    private static bool VerifyEcdsa(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(publicKey, out _);
            return key.KeySize == 256 && key.VerifyData(message, signature, HashAlgorithmName.SHA256);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private static bool VerifyMlDsa(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        try
        {
            var verifier = new MLDsaSigner(MlDsa65KeyPair.Parameters, deterministic: false);
            verifier.Init(false, MLDsaPublicKeyParameters.FromEncoding(MlDsa65KeyPair.Parameters, publicKey.ToArray()));
            verifier.BlockUpdate(message);
            return verifier.VerifySignature(signature.ToArray());
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
