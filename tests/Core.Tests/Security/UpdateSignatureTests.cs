using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;

namespace FlMicroservices.Core.Tests.Security;

public sealed class UpdateSignatureTests
{
    private static readonly UpdateStatement Statement = new("update", "task-1", 3, 2, "node-1-c000", "00112233445566778899aabbccddeeff",
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 150, 4, 200_000);

    public static TheoryData<string> Algorithms => [SigningAlgorithms.EcdsaP256, SigningAlgorithms.MlDsa65];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void A_signature_verifies_with_its_key_and_fails_for_a_changed_statement(string algorithm)
    {
        using var key = SigningKeyPair.Generate(algorithm);
        var signature = key.Sign(Statement.ToBytes());

        Assert.True(SignatureVerifier.Verify(algorithm, key.PublicKey, Statement.ToBytes(), signature));
        // Every bound field changes the statement: a signature of one update never covers another.
        UpdateStatement[] changed =
        [
            Statement with { Digest = "0" + Statement.Digest[1..] }, Statement with { Round = 4 }, Statement with { ModelVersion = 3 },
            Statement with { TaskId = "task-2" }, Statement with { ClientId = "node-1-c001" }, Statement with { Nonce = "ff" + Statement.Nonce[2..] },
            Statement with { ExampleCount = 151 }, Statement with { SliceCount = 5 }, Statement with { ElementCount = 200_001 },
            Statement with { Kind = "masked-update" },
        ];
        foreach (var other in changed) Assert.False(SignatureVerifier.Verify(algorithm, key.PublicKey, other.ToBytes(), signature), other.ToString());
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Another_key_a_tampered_signature_or_the_other_algorithm_does_not_verify(string algorithm)
    {
        using var key = SigningKeyPair.Generate(algorithm);
        using var attacker = SigningKeyPair.Generate(algorithm);
        var message = Statement.ToBytes();
        var signature = key.Sign(message);
        var tampered = (byte[])signature.Clone();
        tampered[10] ^= 1;

        Assert.False(SignatureVerifier.Verify(algorithm, attacker.PublicKey, message, signature));
        Assert.False(SignatureVerifier.Verify(algorithm, key.PublicKey, message, attacker.Sign(message)));
        Assert.False(SignatureVerifier.Verify(algorithm, key.PublicKey, message, tampered));
        Assert.False(SignatureVerifier.Verify(algorithm, key.PublicKey, message, signature.AsSpan(0, signature.Length - 1)));
        var other = algorithm == SigningAlgorithms.EcdsaP256 ? SigningAlgorithms.MlDsa65 : SigningAlgorithms.EcdsaP256;
        Assert.False(SignatureVerifier.Verify(other, key.PublicKey, message, signature));
        Assert.False(SignatureVerifier.Verify("rsa", key.PublicKey, message, signature));
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void An_exported_private_key_imports_to_the_same_identity(string algorithm)
    {
        using var key = SigningKeyPair.Generate(algorithm);
        using var again = SigningKeyPair.Import(algorithm, key.ExportPrivateKey());

        Assert.Equal(key.PublicKey, again.PublicKey);
        Assert.True(SignatureVerifier.Verify(algorithm, key.PublicKey, Statement.ToBytes(), again.Sign(Statement.ToBytes())));
        Assert.Null(SignatureVerifier.KeyProblem(algorithm, key.PublicKey));
    }

    [Fact]
    public void Key_and_signature_sizes_are_those_of_the_standards()
    {
        using var ecdsa = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        using var mlDsa = SigningKeyPair.Generate(SigningAlgorithms.MlDsa65);

        Assert.Equal(91, ecdsa.PublicKey.Length); // SubjectPublicKeyInfo of an uncompressed P-256 point
        Assert.Equal(64, ecdsa.Sign(Statement.ToBytes()).Length); // r || s
        Assert.Equal(1952, mlDsa.PublicKey.Length); // FIPS 204, ML-DSA-65
        Assert.Equal(3309, mlDsa.Sign(Statement.ToBytes()).Length);
        Assert.Equal(32, mlDsa.ExportPrivateKey().Length);
    }

    [Fact]
    public void A_malformed_public_key_is_named_and_never_verifies()
    {
        byte[] junk = [1, 2, 3, 4];
        Assert.Equal("is not a valid ecdsa-p256 public key", SignatureVerifier.KeyProblem(SigningAlgorithms.EcdsaP256, junk));
        Assert.Equal("is not a valid ml-dsa-65 public key", SignatureVerifier.KeyProblem(SigningAlgorithms.MlDsa65, junk));
        Assert.StartsWith("names an unknown algorithm", SignatureVerifier.KeyProblem("rsa", junk));
        Assert.False(SignatureVerifier.Verify(SigningAlgorithms.MlDsa65, junk, Statement.ToBytes(), new byte[3309]));
        Assert.False(SignatureVerifier.Verify(SigningAlgorithms.EcdsaP256, junk, Statement.ToBytes(), new byte[64]));
        Assert.Throws<ArgumentException>(() => SigningKeyPair.Generate("rsa"));
    }

    [Fact]
    public void Nonces_are_fresh()
    {
        var nonces = Enumerable.Range(0, 1000).Select(_ => UpdateStatement.NewNonce()).ToHashSet();
        Assert.Equal(1000, nonces.Count);
        Assert.All(nonces, n => Assert.Equal(32, n.Length));
    }
}
