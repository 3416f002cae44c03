using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;

namespace FlMicroservices.Registry;

/// <summary>Trust on first use: a client id keeps the first key it registered for each algorithm; a later registration must offer the same.</summary>
public static class ClientKeyBinding
{
    /// <summary>Longest base64 public key accepted (an ML-DSA-65 key is 2,604 characters).</summary>
    public const int MaxKeyLength = 4096;

    /// <summary>What is wrong with the keys a registration offers, naming the field; null when they are acceptable.</summary>
    public static string? Problem(IReadOnlyList<ClientKey>? keys)
    {
        if (keys is null) return null;
        if (keys.Count > SigningAlgorithms.Keyed.Count) return $"Keys lists {keys.Count} keys, at most one per algorithm ({SigningAlgorithms.Keyed.Count}) is accepted";
        foreach (var key in keys)
        {
            if (key is null) return "Keys holds an empty entry";
            if (!SigningAlgorithms.Keyed.Contains(key.Algorithm))
                return $"Keys algorithm '{key.Algorithm}' is unknown (known: {string.Join(", ", SigningAlgorithms.Keyed)})";
            if (keys.Count(k => k?.Algorithm == key.Algorithm) > 1) return $"Keys lists two {key.Algorithm} keys";
            if (key.PublicKey is null || key.PublicKey.Length > MaxKeyLength) return $"Keys {key.Algorithm} public key is missing or longer than {MaxKeyLength} characters";
            byte[] bytes;
            try { bytes = Convert.FromBase64String(key.PublicKey); }
            catch (FormatException) { return $"Keys {key.Algorithm} public key is not base64"; }
            if (SignatureVerifier.KeyProblem(key.Algorithm, bytes) is { } problem) return $"Keys {key.Algorithm} public key {problem}";
        }
        return null;
    }

    /// <summary>The keys bound after a registration offering <paramref name="offered"/>, or the reason it is refused.</summary>
    /// <param name="bound">The keys bound to the id so far (null or empty: none yet).</param>
    /// <param name="offered">The keys the registration carries (null: none; the bound ones stay).</param>
    public static (ClientKey[]? Keys, string? Refusal) Bind(string clientId, IReadOnlyList<ClientKey>? bound, IReadOnlyList<ClientKey>? offered)
    {
        var keys = (bound ?? []).ToList();
        foreach (var key in offered ?? [])
        {
            if (keys.FirstOrDefault(k => k.Algorithm == key.Algorithm) is not { } known) keys.Add(key);
            else if (known.PublicKey != key.PublicKey)
                return (null, $"ClientId '{clientId}' is bound to another {key.Algorithm} key (trust on first use): a registration with a different key is refused");
        }
        return (keys.Count == 0 ? null : keys.OrderBy(k => k.Algorithm, StringComparer.Ordinal).ToArray(), null);
    }
}
