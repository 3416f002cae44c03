using System.Globalization;

namespace FlMicroservices.Infrastructure.Models;

/// <summary>The model registry's download API: routes and headers shared by the service and <see cref="ModelRegistryClient"/>.</summary>
public static class ModelDownload
{
    /// <summary>GET: the version's weights as a weights file (<see cref="WeightsFile"/>), with <see cref="DigestHeader"/>.</summary>
    public const string WeightsRoute = "/models/{taskId}/versions/{version:int}";

    /// <summary>GET: the version's metadata (<see cref="ModelVersionInfo"/> as JSON).</summary>
    public const string InfoRoute = "/models/{taskId}/versions/{version:int}/info";

    /// <summary>SHA-256 (lower-case hex) of the float32 weights, as <see cref="WeightsFile.Digest"/> computes it.</summary>
    public const string DigestHeader = "X-Model-Digest";

    public const string ContentType = "application/octet-stream";

    public static string WeightsPath(string taskId, int version) =>
        $"models/{Uri.EscapeDataString(taskId)}/versions/{version.ToString(CultureInfo.InvariantCulture)}";

    public static string InfoPath(string taskId, int version) => WeightsPath(taskId, version) + "/info";
}
