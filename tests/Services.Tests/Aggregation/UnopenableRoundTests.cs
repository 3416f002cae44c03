using System.Threading.Channels;
using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Models;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>A round the aggregation service cannot open ends as a failed RoundAggregated with the reason, never silently.</summary>
public sealed class UnopenableRoundTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-unopenable-" + Guid.NewGuid().ToString("N"));
    private CapturingBus _capture = null!;
    private IBusControl _bus = null!;
    private Channel<RoundAggregated> _published = null!;

    public async Task InitializeAsync()
    {
        _capture = await CapturingBus.StartAsync();
        _bus = _capture.Bus;
        _published = _capture.Published;
    }

    public async Task DisposeAsync()
    {
        await _capture.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static RoundStarted Round(DateTimeOffset deadline, string strategy = "fedavg") => new("t", 2, 3, ["a", "b"], deadline,
        new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, 256, "logreg", strategy, [], 0.5, 1);

    private async Task<RoundAggregated> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await _published.Reader.ReadAsync(timeout.Token);
    }

    [Fact]
    public async Task A_missing_model_version_fails_the_round_at_once_naming_the_version()
    {
        using var rounds = new AggregationRounds(new FileModelStore(_root), _bus, TimeProvider.System, NullLogger<AggregationRounds>.Instance);

        await rounds.OpenAsync(Round(DateTimeOffset.UtcNow.AddHours(1)), CancellationToken.None);
        await rounds.OpenAsync(Round(DateTimeOffset.UtcNow.AddHours(1)), CancellationToken.None); // redelivered: no second result

        var failed = await NextAsync();
        Assert.False(failed.Succeeded);
        Assert.Equal((2, 3), (failed.Round, failed.BaseModelVersion));
        Assert.Equal("aggregation could not open round 2: model version 3 of task t is not in the model store", failed.FailureReason);
        Assert.Equal(0, rounds.OpenRoundCount);
        await Task.Delay(200);
        Assert.False(_published.Reader.TryRead(out _));
    }

    [Fact]
    public async Task A_store_that_keeps_failing_fails_the_round_at_its_deadline_with_the_error()
    {
        using var rounds = new AggregationRounds(new UnreachableStore(), _bus, TimeProvider.System, NullLogger<AggregationRounds>.Instance);

        await Assert.ThrowsAsync<IOException>(() => rounds.OpenAsync(Round(DateTimeOffset.UtcNow.AddSeconds(1)), CancellationToken.None));

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
