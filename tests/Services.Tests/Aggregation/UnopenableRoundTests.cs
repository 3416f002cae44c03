using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Testing;
using FlMicroservices.Testing.Aggregation;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>A round the aggregation service cannot open ends as a failed RoundAggregated with the reason, never silently.</summary>
public sealed class UnopenableRoundTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-unopenable-" + Guid.NewGuid().ToString("N"));
    private HarnessHost _bus = null!;

    public async Task InitializeAsync() => _bus = await HarnessHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static RoundStarted Round(DateTimeOffset deadline, string strategy = "fedavg") => new("t", 2, 3, ["a", "b"], deadline,
        new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, 256, "logreg", strategy, [], 0.5, 1);

    private Task<RoundAggregated> NextAsync() => _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task A_missing_model_version_fails_the_round_at_once_naming_the_version()
    {
        await using var aggregation = await AggregationInstance.StartAsync(_bus.Bus, new FileModelStore(_root));

        await aggregation.Opener.OpenAsync(Round(DateTimeOffset.UtcNow.AddHours(1)), CancellationToken.None);
        await aggregation.Opener.OpenAsync(Round(DateTimeOffset.UtcNow.AddHours(1)), CancellationToken.None); // redelivered: no second result

        var failed = await NextAsync();
        Assert.False(failed.Succeeded);
        Assert.Equal((2, 3), (failed.Round, failed.BaseModelVersion));
        Assert.Equal("aggregation could not open round 2: model version 3 of task t is not in the model store", failed.FailureReason);
        Assert.Equal(0, aggregation.Registry.OpenRoundCount);
        await Task.Delay(200);
        Assert.Equal(1, _bus.PublishedCount<RoundAggregated>());
    }

    [Fact]
    public async Task A_store_that_keeps_failing_fails_the_round_at_its_deadline_with_the_error()
    {
        await using var aggregation = await AggregationInstance.StartAsync(_bus.Bus, new UnreachableStore());

        await Assert.ThrowsAsync<IOException>(() => aggregation.Opener.OpenAsync(Round(DateTimeOffset.UtcNow.AddSeconds(1)), CancellationToken.None));

        var failed = await NextAsync();
        Assert.False(failed.Succeeded);
        Assert.Equal("aggregation could not open round 2: model store unreachable", failed.FailureReason);
    }

    private sealed class UnreachableStore : IModelStore
    {
        public Task<ModelVersionInfo?> GetVersionAsync(string taskId, int version, CancellationToken cancellationToken) => throw new IOException("model store unreachable");
        public Task<float[]> LoadWeightsAsync(string taskId, int version, CancellationToken cancellationToken) => throw new IOException("model store unreachable");
        public Task SaveVersionAsync(ModelVersionInfo info, ReadOnlyMemory<float> weights, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string taskId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<int?> GetCurrentVersionAsync(string taskId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task SetCurrentVersionAsync(string taskId, int version, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<string> SaveCandidateAsync(string taskId, int round, ReadOnlyMemory<float> weights, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<float[]> LoadCandidateAsync(string reference, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
