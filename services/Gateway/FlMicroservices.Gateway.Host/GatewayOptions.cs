namespace FlMicroservices.Gateway.Host;

/// <summary>Where the services' operator APIs listen; bound from the "Gateway" section (a service left out is not routed).</summary>
public sealed class GatewayOptions
{
    public const string Section = "Gateway";

    /// <summary>Base URL of the model registry (model versions), e.g. http://model-registry:8080.</summary>
    public string? ModelRegistryUrl { get; set; }

    /// <summary>Base URL of the registry (task creation, clients), e.g. http://registry:8080.</summary>
    public string? RegistryUrl { get; set; }

    /// <summary>Base URL of the selector (tasks' state and rounds; cancel, pause, resume), e.g. http://selector:8080.</summary>
    public string? SelectorUrl { get; set; }

    /// <summary>Base URL of the reward service (balances and ledger), e.g. http://reward:8080.</summary>
    public string? RewardUrl { get; set; }

    /// <summary>Base URL of the privacy-accounting service (ε per task and client), e.g. http://privacy-accounting:8080.</summary>
    public string? PrivacyAccountingUrl { get; set; }

    /// <summary>The services by name as configured, with their URLs; problems name the setting.</summary>
    public IReadOnlyList<(GatewayService Service, Uri Url)> Configured(out List<string> problems)
    {
        problems = [];
        var configured = new List<(GatewayService, Uri)>();
        foreach (var service in GatewayService.All)
        {
            var value = service.Url(this);
            if (string.IsNullOrWhiteSpace(value)) continue;
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                problems.Add($"{Section}:{service.Setting} '{value}' is not an absolute http(s) URL");
            else configured.Add((service, uri));
        }
        if (configured.Count == 0 && problems.Count == 0)
            problems.Add($"no service URL is configured: set {string.Join(" or ", GatewayService.All.Select(s => $"{Section}:{s.Setting}"))}");
        return configured;
    }
}

/// <summary>A service behind the gateway: its setting, its name in the OpenAPI paths, and the API paths it owns ("POST /path": that method only).</summary>
public sealed record GatewayService(string Name, string Setting, Func<GatewayOptions, string?> Url, string[] Paths)
{
    public static IReadOnlyList<GatewayService> All { get; } =
    [
        new("model-registry", nameof(GatewayOptions.ModelRegistryUrl), o => o.ModelRegistryUrl, ["/api/tasks/{taskId}/models/{**rest}"]),
        new("registry", nameof(GatewayOptions.RegistryUrl), o => o.RegistryUrl, ["POST /api/tasks", "/api/clients/{**rest}"]),
        new("selector", nameof(GatewayOptions.SelectorUrl), o => o.SelectorUrl,
            ["GET /api/tasks", "GET /api/tasks/{taskId}", "/api/tasks/{taskId}/rounds/{**rest}", "POST /api/tasks/{taskId}/cancel",
                "POST /api/tasks/{taskId}/pause", "POST /api/tasks/{taskId}/resume"]),
        new("reward", nameof(GatewayOptions.RewardUrl), o => o.RewardUrl, ["/api/rewards/{**rest}", "/api/tasks/{taskId}/rewards"]),
        new("privacy-accounting", nameof(GatewayOptions.PrivacyAccountingUrl), o => o.PrivacyAccountingUrl, ["/api/tasks/{taskId}/privacy/{**rest}"]),
    ];
}
