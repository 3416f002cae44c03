using Microsoft.Extensions.Configuration;

namespace FlMicroservices.Infrastructure;

/// <summary>The one folder every relative path of a process resolves against: Storage:Root, else $FL_HOME, else ~/.fl.</summary>
/// <remarks>Never the current directory: `dotnet run --project services/X` starts each service in its own folder.</remarks>
public static class DataRoot
{
    public const string Key = "Storage:Root";
    public const string EnvironmentVariable = "FL_HOME";

    /// <summary>The absolute data root named by configuration or the environment, else ~/.fl.</summary>
    public static string Of(IConfiguration? configuration)
    {
        var (value, source) = configuration?[Key] is { Length: > 0 } configured ? (configured, Key)
            : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env ? (env, EnvironmentVariable)
            : (Path.Combine(HomeFolder(), ".fl"), "the home folder");
        if (!Path.IsPathFullyQualified(value))
            throw new InvalidOperationException($"Invalid configuration: {source} is '{value}'; it must be an absolute path.");
        return Path.GetFullPath(value);
    }

    /// <summary>An absolute path for a setting: rooted paths as given, relative ones under <see cref="Of"/>; null when empty.</summary>
    public static string? Resolve(IConfiguration? configuration, string? path) =>
        string.IsNullOrWhiteSpace(path) ? null
        : Path.IsPathFullyQualified(path) ? Path.GetFullPath(path)
        : Path.GetFullPath(Path.Combine(Of(configuration), path));

    private static string HomeFolder()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? Path.GetTempPath() : home;
    }
}
