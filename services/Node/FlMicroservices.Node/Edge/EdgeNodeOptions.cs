using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Node.Edge;

/// <summary>How a node reaches the edge instead of the brokers; bound from the "Node" section (Node:EdgeUrl, Node:EnrolToken, ...).</summary>
public sealed class EdgeNodeOptions : IValidatableObject
{
    /// <summary>https:// base address of the edge; empty: the node talks to the brokers directly.</summary>
    public string? EdgeUrl { get; set; }

    /// <summary>The operator's one-time enrolment token, needed only until the node has an identity.</summary>
    public string? EnrolToken { get; set; }

    /// <summary>PEM file of the certificate authority the edge's certificate chains to; empty: the system's trust store.</summary>
    public string? EdgeCaFile { get; set; }

    /// <summary>Where the node keeps its identity (its private key); relative paths resolve under the data root.</summary>
    public string? EdgeIdentityFile { get; set; }

    /// <summary>Development only: allow an http:// edge (tokens and updates in the clear).</summary>
    public bool EdgeAllowPlainHttp { get; set; }

    /// <summary>How long each token the node signs lives.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "00:05:00")]
    public TimeSpan EdgeTokenLifetime { get; set; } = TimeSpan.FromMinutes(2);

    public bool Enabled => !string.IsNullOrWhiteSpace(EdgeUrl);

    /// <summary>The parsed <see cref="EdgeUrl"/>, ending in '/'.</summary>
    public Uri Edge => new(EdgeUrl!.EndsWith('/') ? EdgeUrl : EdgeUrl + "/", UriKind.Absolute);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled) yield break;
        if (!Uri.TryCreate(EdgeUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
            yield return new ValidationResult($"'{EdgeUrl}' must be an https:// URL of the edge", [nameof(EdgeUrl)]);
        else if (url.Scheme == "http" && !EdgeAllowPlainHttp)
            yield return new ValidationResult($"'{EdgeUrl}' is plain HTTP; the edge is reached over https:// (Node:EdgeAllowPlainHttp=true on a development machine only)", [nameof(EdgeUrl)]);
    }
}
