using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace FlMicroservices.AppHost;

/// <summary>The AppHost's own settings (section "Fl"): where infrastructure runs, where data lives, how big the fleet is.</summary>
/// <remarks>
/// Set them on the command line (<c>dotnet run --project aspire/FlMicroservices.AppHost -- --Fl:Infrastructure=processes</c>),
/// as environment variables (<c>Fl__Infrastructure=containers</c>) or in appsettings.json; aspire/README.md has the table.
/// </remarks>
internal sealed record AppHostSettings(bool UseContainers, string InfrastructureReason, string DataRoot, int ClientsPerNode, int Nodes)
{
    public const string Section = "Fl";

    public static AppHostSettings From(IConfiguration configuration, string appHostDirectory)
    {
        var section = configuration.GetSection(Section);
        var mode = (section["Infrastructure"] ?? "auto").Trim().ToLowerInvariant();
        var (useContainers, reason) = mode switch
        {
            "containers" => (true, "Fl:Infrastructure=containers"),
            "processes" => (false, "Fl:Infrastructure=processes"),
            "auto" => ContainerEngine.Detect() is { } engine
                ? (true, $"container engine '{engine}' answers")
                : (false, "no container engine answers"),
            _ => throw new InvalidOperationException($"Invalid configuration: Fl:Infrastructure must be auto, processes or containers, not '{mode}'."),
        };
        var root = section["DataRoot"] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.GetFullPath(Path.Combine(appHostDirectory, "..", "..", ".fl", "apphost"));
        return new AppHostSettings(useContainers, reason, root,
            Positive(section, "ClientsPerNode", 10, 1000), Positive(section, "Nodes", 3, 32));
    }

    /// <summary>A folder under <see cref="DataRoot"/>, created.</summary>
    public string Folder(string name)
    {
        var path = Path.Combine(DataRoot, name);
        Directory.CreateDirectory(path);
        return path;
    }

    private static int Positive(IConfigurationSection section, string key, int fallback, int max)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 && value <= max
            ? value
            : throw new InvalidOperationException($"Invalid configuration: Fl:{key} must be an integer in [1, {max}], not '{text}'.");
    }
}
