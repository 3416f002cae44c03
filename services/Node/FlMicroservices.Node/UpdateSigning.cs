using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;
using FlMicroservices.Core.Security;

namespace FlMicroservices.Node;

/// <summary>Signs a hosted client's manifest with the algorithm its round asks for (docs/signing.md); unsigned rounds pass it through.</summary>
public sealed class UpdateSigning(ClientIdentities identities)
{
    public UpdateSubmitted Sign(RoundStarted round, UpdateSubmitted manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Seal(round, "update", manifest.ClientId, manifest.Digest, manifest.ExampleCount, manifest.SliceCount, manifest.ElementCount) is { } seal
            ? manifest with { Signature = seal.Signature, Nonce = seal.Nonce, SignatureAlgorithm = seal.Algorithm }
            : manifest;
    }

    /// <summary>Signs what a secure round's client actually sends: the digest of its masked update.</summary>
    public MaskedUpdateSubmitted Sign(RoundStarted round, MaskedUpdateSubmitted manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Seal(round, "masked-update", manifest.ClientId, manifest.Digest, manifest.ExampleCount, manifest.SliceCount, manifest.ElementCount) is { } seal
            ? manifest with { Signature = seal.Signature, Nonce = seal.Nonce, SignatureAlgorithm = seal.Algorithm }
            : manifest;
    }

    /// <summary>The algorithm the round's updates are signed with, or null when they are not signed.</summary>
    public static string? AlgorithmOf(RoundStarted round)
    {
        ArgumentNullException.ThrowIfNull(round);
        return RoundPlan.SettingsOf(round).Signing is { } signing && SigningAlgorithms.Signs(signing) ? signing : null;
    }

    private (string Signature, string Nonce, string Algorithm)? Seal(RoundStarted round, string kind, string clientId, string digest,
        int exampleCount, int sliceCount, int elementCount)
    {
        if (AlgorithmOf(round) is not { } algorithm) return null;
        var nonce = UpdateStatement.NewNonce();
        var statement = new UpdateStatement(kind, round.TaskId, round.Round, round.ModelVersion, clientId, nonce, digest, exampleCount, sliceCount, elementCount);
        return (Convert.ToBase64String(identities.KeyOf(clientId, algorithm).Sign(statement.ToBytes())), nonce, algorithm);
    }
}
