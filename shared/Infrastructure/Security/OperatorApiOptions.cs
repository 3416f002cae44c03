using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure.Security;

/// <summary>Who may call the operator API and how often; bound from the "OperatorApi" section (docs/operator-api.md).</summary>
public sealed class OperatorApiOptions
{
    public const string Section = "OperatorApi";
    public const string DefaultAudience = "fl-operator-api";

    /// <summary>The OIDC issuer (https://...) whose tokens are accepted; empty: the development issuer's signing key.</summary>
    public string? Authority { get; set; }

    /// <summary>The issuer's discovery document when it is not at Authority/.well-known/openid-configuration.</summary>
    public string? MetadataAddress { get; set; }

    /// <summary>Off only for a test issuer reached over plain HTTP.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The audience a token must name.</summary>
    [Required(AllowEmptyStrings = false)]
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>The claim that holds the caller's roles.</summary>
    [Required(AllowEmptyStrings = false)]
    public string RoleClaim { get; set; } = "role";

    /// <summary>The claim that names the caller (the subject "sub" when a token lacks it).</summary>
    [Required(AllowEmptyStrings = false)]
    public string NameClaim { get; set; } = "name";

    /// <summary>The development issuer's key, base64 (at least 32 bytes); a secret file OperatorApi__SigningKey in containers.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The file holding the development issuer's key when SigningKey is empty, made on first use; relative paths lie under the data root.</summary>
    [Required(AllowEmptyStrings = false)]
    public string SigningKeyFile { get; set; } = DevelopmentIssuer.DefaultKeyFile;

    /// <summary>Development only: every caller is treated as an admin (logged as a warning at start-up).</summary>
    public bool AuthDisabled { get; set; }

    /// <summary>Requests one caller may make to the operator API per <see cref="RateLimitWindow"/>.</summary>
    [Range(1, 1_000_000)]
    public int RequestsPerWindow { get; set; } = 600;

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromMinutes(1);
}
