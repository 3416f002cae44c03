using System.Net;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlMicroservices.Services.Tests.Models;

public sealed class ModelRegistryClientTests
{
    private static readonly float[] Weights = [0.5f, -1.25f, 3f, float.Epsilon];

    private sealed class Registry(Func<HttpRequestMessage, int, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public int Calls { get; private set; }
        public List<string> Paths { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Paths.Add(request.RequestUri!.AbsolutePath);
            return Task.FromResult(answer(request, ++Calls));
        }
    }

    private static HttpResponseMessage WeightsResponse(float[] weights, string digest)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(WeightsFile.Encode(weights)) };
        response.Headers.Add(ModelDownload.DigestHeader, digest);
        return response;
    }

    private static ModelRegistryClient Client(Registry registry) => new(
        new HttpClient(registry) { BaseAddress = new Uri("http://registry.test:5105/") },
        ExternalCallResilience.Create("model-registry", new ResilienceOptions { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(1) }, ModelRegistryClient.IsTransient),
        NullLogger<ModelRegistryClient>.Instance);

    [Fact]
    public async Task A_download_whose_digest_matches_returns_the_weights_bit_for_bit()
    {
        var registry = new Registry((_, _) => WeightsResponse(Weights, WeightsFile.Digest(Weights)));

        var weights = await Client(registry).LoadWeightsAsync("task-1", 3, CancellationToken.None);

        Assert.Equal(Weights.Select(BitConverter.SingleToInt32Bits), weights.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(["/models/task-1/versions/3"], registry.Paths);
    }

    [Fact]
    public async Task A_download_whose_digest_does_not_match_is_rejected_without_retrying()
    {
        var tampered = Weights.ToArray();
        tampered[1] = 7f;
        var registry = new Registry((_, _) => WeightsResponse(tampered, WeightsFile.Digest(Weights)));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Client(registry).LoadWeightsAsync("task-1", 3, CancellationToken.None));

        Assert.Contains("does not match", error.Message);
        Assert.Contains(WeightsFile.Digest(Weights), error.Message);
        Assert.Equal(1, registry.Calls);
    }

    [Fact]
    public async Task A_missing_version_fails_at_once_naming_the_task_and_version()
    {
        var registry = new Registry((_, _) => new HttpResponseMessage(HttpStatusCode.NotFound) { Content = new StringContent("task 'task-1' has no model version 9") });

        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() => Client(registry).LoadWeightsAsync("task-1", 9, CancellationToken.None));

        Assert.Contains("version 9", error.Message);
        Assert.Contains("task-1", error.Message);
        Assert.Equal(1, registry.Calls);
        Assert.Null(await Client(registry).GetVersionAsync("task-1", 9, CancellationToken.None));
    }

    [Fact]
    public async Task Server_errors_are_retried_until_the_registry_answers()
    {
        var registry = new Registry((_, call) => call < 3
            ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("starting") }
            : WeightsResponse(Weights, WeightsFile.Digest(Weights)));

        var weights = await Client(registry).LoadWeightsAsync("task-1", 0, CancellationToken.None);

        Assert.Equal(Weights.Length, weights.Length);
        Assert.Equal(3, registry.Calls);
    }
}
