using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;

namespace FlMicroservices.Infrastructure.Models;

/// <summary>Reads model versions from the model registry's HTTP API and checks every download against its digest.</summary>
/// <remarks>Connection failures, timeouts and 5xx answers are retried by <paramref name="pipeline"/>; a missing version or a
/// digest that does not match the weights is not.</remarks>
public sealed class ModelRegistryClient(HttpClient http, ResiliencePipeline pipeline, ILogger<ModelRegistryClient> logger) : IModelVersionReader
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>True for the failures worth another attempt: no answer, or a server-side or throttling status.</summary>
    public static bool IsTransient(Exception exception) => exception is HttpRequestException { StatusCode: null or >= HttpStatusCode.InternalServerError or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests }
        or TaskCanceledException { InnerException: TimeoutException };

    public async Task<ModelVersionInfo?> GetVersionAsync(string taskId, int version, CancellationToken cancellationToken) =>
        await pipeline.ExecuteAsync(async ct =>
        {
            using var response = await http.GetAsync(ModelDownload.InfoPath(taskId, version), ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound) return null;
            await EnsureSuccessAsync(response, taskId, version, ct).ConfigureAwait(false);
            return await response.Content.ReadFromJsonAsync<ModelVersionInfo>(Json, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

    public async Task<float[]> LoadWeightsAsync(string taskId, int version, CancellationToken cancellationToken) =>
        await pipeline.ExecuteAsync(async ct =>
        {
            using var response = await http.GetAsync(ModelDownload.WeightsPath(taskId, version), ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
                throw new KeyNotFoundException($"Model registry at {http.BaseAddress} has no model version {version} of task '{taskId}': {await BodyAsync(response, ct).ConfigureAwait(false)}");
            await EnsureSuccessAsync(response, taskId, version, ct).ConfigureAwait(false);
            var source = $"{http.BaseAddress}{ModelDownload.WeightsPath(taskId, version)}";
            var weights = WeightsFile.Decode(await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false), source);
            var announced = response.Headers.TryGetValues(ModelDownload.DigestHeader, out var values) ? values.FirstOrDefault() : null;
            var actual = WeightsFile.Digest(weights);
            if (!string.Equals(announced, actual, StringComparison.OrdinalIgnoreCase))
            {
                logger.LogError("Model download {Source} rejected: digest {Actual} does not match the announced {Announced}", source, actual, announced ?? "(none)");
                throw new InvalidDataException($"{source}: the weights' digest {actual} does not match the announced {ModelDownload.DigestHeader} {announced ?? "(none)"}; the download is rejected.");
            }
            return weights;
        }, cancellationToken).ConfigureAwait(false);

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string taskId, int version, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        throw new HttpRequestException($"Model registry answered {(int)response.StatusCode} {response.ReasonPhrase} for version {version} of task '{taskId}': " +
            await BodyAsync(response, cancellationToken).ConfigureAwait(false), null, response.StatusCode);
    }

    private static async Task<string> BodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return body.Length > 300 ? body[..300] : body.Trim();
    }
}
