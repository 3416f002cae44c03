namespace FlMicroservices.Dashboard;

/// <summary>Where the dashboard reads the operator API and finished runs; bound from the "Dashboard" section.</summary>
public sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>Base URL of the operator API: the gateway (http://localhost:5100 by default) or a host serving every endpoint.</summary>
    public string ApiUrl { get; set; } = "http://localhost:5100";

    /// <summary>Single-user mode: nobody signs in, every visitor acts with the configured token below; the host refuses to listen beyond loopback.</summary>
    public bool SingleUser { get; set; }

    /// <summary>Single-user mode: the bearer token sent with every API request; see also the two settings below.</summary>
    public string? OperatorToken { get; set; }

    /// <summary>A file holding the token (a mounted secret), re-read when it changes; relative paths lie under the data root.</summary>
    public string? OperatorTokenFile { get; set; }

    /// <summary>Development: mint tokens of this role with the development issuer's key, found as the services find it (OperatorApi:SigningKey or SigningKeyFile).</summary>
    public string? DevelopmentIssuerRole { get; set; }

    /// <summary>A folder whose subfolders are `fl simulate` outputs (metrics.jsonl) that the runs page can overlay; none when unset.</summary>
    public string? RunsDirectory { get; set; }

    /// <summary>Single-user mode: shown on every page, who can reach this dashboard and whose identity it acts with.</summary>
    public string AccessNotice { get; set; } =
        "Single-user mode: nobody signs in here; this dashboard listens on localhost only and calls the operator API with its configured token, so whoever reaches it acts with that token's role.";

    /// <summary>How many of the three ways to name the token are set (at most one may be).</summary>
    internal int TokenSettings => new[] { OperatorToken, OperatorTokenFile, DevelopmentIssuerRole }.Count(s => !string.IsNullOrWhiteSpace(s));
}
