using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FlMicroservices.Contracts.Edge;

/// <summary>A node's short-lived bearer token: its claims in JSON, signed with its enrolled ECDSA P-256 key (docs/edge.md).</summary>
/// <remarks>Text form: base64url(claims) "." base64url(signature over "FLN1." + the first part).</remarks>
public sealed record NodeToken(string NodeId, string Audience, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, string Nonce)
{
    private const string Domain = "FLN1.";
    private const int MaxTextLength = 2048;

    /// <summary>The text a node signs to prove it holds the key it enrols.</summary>
    public static string EnrolmentProofText(string token, string nodeId) => "FLE1." + token + "." + nodeId;

    /// <summary>A token for <paramref name="nodeId"/> valid from <paramref name="now"/> for <paramref name="lifetime"/>, signed with <paramref name="key"/>.</summary>
    public static string Create(ECDsa key, string nodeId, string audience, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(key);
        var claims = new Claims(nodeId, audience, now.ToUnixTimeSeconds(), (now + lifetime).ToUnixTimeSeconds(), Convert.ToHexString(RandomNumberGenerator.GetBytes(12)));
        var body = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        var signature = key.SignData(Encoding.ASCII.GetBytes(Domain + body), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return body + "." + Base64Url.EncodeToString(signature);
    }

    /// <summary>Parses the claims without checking the signature; null with <paramref name="problem"/> when malformed.</summary>
    public static NodeToken? Parse(string text, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(text) || text.Length > MaxTextLength) { problem = "the token is empty or longer than 2048 characters"; return null; }
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || dot != text.LastIndexOf('.')) { problem = "the token is not two base64url parts joined by '.'"; return null; }
        try
        {
            var claims = JsonSerializer.Deserialize<Claims>(Base64Url.DecodeFromChars(text.AsSpan(0, dot)));
            if (claims is null || !Identifiers.IsValid(claims.sub) || string.IsNullOrEmpty(claims.aud) || string.IsNullOrEmpty(claims.jti))
            {
                problem = "the token's claims lack a valid sub, aud or jti";
                return null;
            }
            return new NodeToken(claims.sub, claims.aud, DateTimeOffset.FromUnixTimeSeconds(claims.iat), DateTimeOffset.FromUnixTimeSeconds(claims.exp), claims.jti);
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentOutOfRangeException)
        {
            problem = "the token's claims are not base64url JSON";
            return null;
        }
    }

    /// <summary>True when <paramref name="text"/>'s signature verifies under <paramref name="key"/>.</summary>
    public static bool VerifySignature(string text, ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(key);
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0) return false;
        byte[] signature;
        try { signature = Base64Url.DecodeFromChars(text.AsSpan(dot + 1)); }
        catch (FormatException) { return false; }
        return key.VerifyData(Encoding.ASCII.GetBytes(Domain + text[..dot]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Why the token is not valid at <paramref name="now"/> for <paramref name="audience"/>, or null.</summary>
    public string? Problem(string audience, DateTimeOffset now, TimeSpan maxLifetime, TimeSpan skew)
    {
        if (!string.Equals(Audience, audience, StringComparison.Ordinal)) return $"the token is for audience '{Audience}', not '{audience}'";
        if (ExpiresAt - IssuedAt > maxLifetime)
            return string.Create(CultureInfo.InvariantCulture, $"the token lives {(ExpiresAt - IssuedAt).TotalSeconds:0} s, longer than the {maxLifetime.TotalSeconds:0} s allowed");
        if (IssuedAt > now + skew) return "the token is issued in the future (check the node's clock)";
        if (ExpiresAt < now - skew) return string.Create(CultureInfo.InvariantCulture, $"the token expired at {ExpiresAt:u}");
        return null;
    }

    // The JSON claims, named as in JWT so they read familiarly.
#pragma warning disable IDE1006
    private sealed record Claims(string sub, string aud, long iat, long exp, string jti);
#pragma warning restore IDE1006
}
