namespace FlMicroservices.Dashboard;

/// <summary>Where the dashboard reads the operator API and finished runs; bound from the "Dashboard" section.</summary>
public sealed class DashboardOptions
{
    public const string Section = "Dashboard";

    /// <summary>Base URL of the operator API: the gateway (http://localhost:5100 by default) or a host serving every endpoint.</summary>
    public string ApiUrl { get; set; } = "http://localhost:5100";

    /// <summary>A bearer token sent with every API request when set (the operator identity, once the API requires one).</summary>
    public string? OperatorToken { get; set; }

    /// <summary>A folder whose subfolders are `fl simulate` outputs (metrics.jsonl) that the runs page can overlay; none when unset.</summary>
    public string? RunsDirectory { get; set; }

    /// <summary>Shown on every page: who can reach this dashboard (it binds to localhost until authentication exists).</summary>
    public string AccessNotice { get; set; } = "No sign-in yet: this dashboard listens on localhost only; anyone on this machine can operate the platform.";
}
