using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;
using FlMicroservices.Core.Security;

namespace FlMicroservices.Aggregation;

/// <summary>Checks a manifest's signature against the key bound to its client, for rounds whose task signs updates (docs/signing.md).</summary>
public sealed class UpdateVerifier(ClientKeyDirectory keys, NonceLedger nonces)
{

    /// <summary>Why the plain update's manifest is refused, or null when it verifies (or the round does not sign).</summary>
    public Task<string?> ProblemAsync(RoundStarted started, UpdateSubmitted manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return ProblemAsync(started, "update", manifest.ClientId, manifest.Digest, manifest.ExampleCount, manifest.SliceCount, manifest.ElementCount,
            manifest.Signature, manifest.Nonce, manifest.SignatureAlgorithm, cancellationToken);
    }

    /// <summary>Why a secure round's masked-update manifest is refused, or null when it verifies (or the round does not sign).</summary>
    public Task<string?> ProblemAsync(RoundStarted started, MaskedUpdateSubmitted manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return ProblemAsync(started, "masked-update", manifest.ClientId, manifest.Digest, manifest.ExampleCount, manifest.SliceCount, manifest.ElementCount,
            manifest.Signature, manifest.Nonce, manifest.SignatureAlgorithm, cancellationToken);
    }

    private async Task<string?> ProblemAsync(RoundStarted started, string kind, string clientId, string digest, int exampleCount, int sliceCount,
        int elementCount, string? signature, string? nonce, string? algorithm, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(started);
        if (RoundPlan.SettingsOf(started).Signing is not { } required || !SigningAlgorithms.Signs(required)) return null;
        if (string.IsNullOrEmpty(signature)) return $"unsigned: task {started.TaskId} requires {required} signatures";
        if (algorithm != required) return $"signed with '{algorithm}', task {started.TaskId} requires {required}";
        if (string.IsNullOrEmpty(nonce) || nonce.Length > 128) return "the signature's nonce is missing or longer than 128 characters";
        if (await keys.FindAsync(clientId, required, cancellationToken) is not { } key)
            return $"no {required} key is registered for client {clientId}";
        byte[] signatureBytes, publicKey;
        try
        {
            signatureBytes = Convert.FromBase64String(signature);
            publicKey = Convert.FromBase64String(key.PublicKey);
        }
        catch (FormatException)
        {
            return "the signature is not base64";
        }
        var statement = new UpdateStatement(kind, started.TaskId, started.Round, started.ModelVersion, clientId, nonce, digest, exampleCount, sliceCount, elementCount);
        if (!SignatureVerifier.Verify(required, publicKey, statement.ToBytes(), signatureBytes))
            return $"the {required} signature does not verify with client {clientId}'s registered key for task {started.TaskId}, round {started.Round}, " +
                $"model version {started.ModelVersion} (made with another key, or bound to another task, round, version, client or update)";
        // The round binding stops a replay across rounds; the nonce catches a resent statement within one.
        return await nonces.TryClaimAsync(clientId, nonce, cancellationToken) ? null : $"replayed: nonce {nonce} of client {clientId} was already used";
    }

    /// <summary>Stores the nonce of a manifest that verified, once its effect is stored (nothing for one that did not verify).</summary>
    public Task RememberAsync(UpdateSubmitted manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return nonces.RecordAsync(manifest.ClientId, manifest.TaskId, manifest.Round, manifest.Nonce, cancellationToken);
    }

    /// <summary>Stores the nonce of a masked-update manifest that verified, once its round took it.</summary>
    public Task RememberAsync(MaskedUpdateSubmitted manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return nonces.RecordAsync(manifest.ClientId, manifest.TaskId, manifest.Round, manifest.Nonce, cancellationToken);
    }
}
