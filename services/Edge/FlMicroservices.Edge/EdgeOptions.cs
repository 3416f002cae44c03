using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Edge;

/// <summary>Edge settings; bound from the "Edge" configuration section (docs/edge.md).</summary>
public sealed class EdgeOptions : IValidatableObject
{
    public const string Section = "Edge";

    /// <summary>PEM file of the server certificate (its chain may follow); relative paths resolve under the data root.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM file of the certificate's private key.</summary>
    public string? CertificateKeyFile { get; set; }

    /// <summary>Development only: serve plain HTTP without a certificate (logged loudly at every start).</summary>
    public bool AllowPlainHttp { get; set; }

    /// <summary>What node tokens must name as their audience: this deployment's edge.</summary>
    [Required, MinLength(1)]
    public string Audience { get; set; } = "fl-edge";

    /// <summary>The longest a node token may live.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "01:00:00")]
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Clock difference tolerated between node and edge.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an enrolment token is valid unless the operator asks otherwise.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan EnrolmentTokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long an enrolled identity lasts before the node must enrol again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan IdentityLifetime { get; set; } = TimeSpan.FromDays(365);

    /// <summary>The most clients one enrolment token may admit.</summary>
    [Range(1, 100_000)]
    public int MaxClientsPerNode { get; set; } = 10_000;

    /// <summary>The largest upload request (one client's slices), in bytes.</summary>
    [Range(1_024, 4L * 1024 * 1024 * 1024)]
    public long MaxUploadBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The largest JSON request (a manifest, a heartbeat, a secure-aggregation message), in bytes.</summary>
    [Range(1_024, 64 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Upload requests a node may make per second on average (a token bucket per node).</summary>
    [Range(0.001, 1_000_000)]
    public double UploadsPerSecond { get; set; } = 500;

    /// <summary>Upload requests a node may make at once before the rate applies.</summary>
    [Range(1, 1_000_000)]
    public int UploadBurst { get; set; } = 2_000;

    /// <summary>Other requests (heartbeats, manifests, messages) a node may make per second on average.</summary>
    [Range(0.001, 1_000_000)]
    public double RequestsPerSecond { get; set; } = 2_000;

    /// <summary>Other requests a node may make at once before the rate applies.</summary>
    [Range(1, 1_000_000)]
    public int RequestBurst { get; set; } = 10_000;

    /// <summary>Enrolment attempts one address may make per minute (a fixed window; enrolling is rare, guessing tokens is not).</summary>
    [Range(1, 1_000_000)]
    public int EnrolmentsPerMinute { get; set; } = 20;

    /// <summary>This edge replica's name: each replica has its own queues, since each must see every round assignment.</summary>
    public string InstanceId { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>http(s) base address of the model registry the download proxy reads from; empty: the model store.</summary>
    public string? ModelRegistryUrl { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!AllowPlainHttp && (string.IsNullOrWhiteSpace(CertificateFile) || string.IsNullOrWhiteSpace(CertificateKeyFile)))
            yield return new ValidationResult("the edge serves HTTPS only: set Edge:CertificateFile and Edge:CertificateKeyFile (PEM), " +
                "or Edge:AllowPlainHttp=true on a development machine", [nameof(CertificateFile)]);
        if (!Contracts.Identifiers.IsValid(InstanceId))
            yield return new ValidationResult($"'{InstanceId}' is not valid: {Contracts.Identifiers.Rule}", [nameof(InstanceId)]);
        if (!string.IsNullOrWhiteSpace(ModelRegistryUrl)
            && !(Uri.TryCreate(ModelRegistryUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
            yield return new ValidationResult($"'{ModelRegistryUrl}' must be an http:// or https:// URL of the model registry service.", [nameof(ModelRegistryUrl)]);
    }
}
