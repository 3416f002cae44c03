namespace FlMicroservices.Contracts.V1;

/// <summary>The names of the signature algorithms clients sign their updates with (a task's <see cref="TaskSpec.Signing"/>).</summary>
public static class SigningAlgorithms
{
    /// <summary>ECDSA over NIST P-256 with SHA-256 (the default).</summary>
    public const string EcdsaP256 = "ecdsa-p256";

    /// <summary>ML-DSA-65 (FIPS 204), the post-quantum option.</summary>
    public const string MlDsa65 = "ml-dsa-65";

    /// <summary>Updates are not signed.</summary>
    public const string None = "none";

    /// <summary>The algorithms a client holds a key for.</summary>
    public static IReadOnlyList<string> Keyed { get; } = [EcdsaP256, MlDsa65];

    /// <summary>True for a name a task may give (an algorithm or "none").</summary>
    public static bool IsKnown(string? name) => name is EcdsaP256 or MlDsa65 or None;

    /// <summary>True when <paramref name="name"/> asks for signed updates.</summary>
    public static bool Signs(string? name) => name is EcdsaP256 or MlDsa65;
}
