using Microsoft.Extensions.Configuration;

namespace FlMicroservices.Infrastructure;

/// <summary>Configuration from secret files: one file per key, named like its environment variable (ConnectionStrings__rabbitmq).</summary>
public static class SecretFiles
{
    /// <summary>Where Docker Compose and Kubernetes put secrets unless FL_SECRETS_DIR names another folder.</summary>
    public const string DefaultDirectory = "/run/secrets";

    /// <summary>Adds the files of FL_SECRETS_DIR (default /run/secrets), when that folder exists, over every other source.</summary>
    public static IConfigurationBuilder AddFlSecretFiles(this IConfigurationBuilder configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var directory = Environment.GetEnvironmentVariable("FL_SECRETS_DIR") is { Length: > 0 } named ? named : DefaultDirectory;
        return configuration.AddKeyPerFile(Path.GetFullPath(directory), optional: true, reloadOnChange: false);
    }
}
