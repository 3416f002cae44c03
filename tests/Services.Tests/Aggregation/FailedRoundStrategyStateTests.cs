using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;
using FlMicroservices.Core.Privacy.Dp;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Testing;
using FlMicroservices.Testing.Aggregation;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>A stateful strategy's state is checkpointed after a failed round too, so a restarted aggregation continues it rather than starting afresh.</summary>
public sealed class FailedRoundStrategyStateTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-failed-round-" + Guid.NewGuid().ToString("N"));
    private HarnessHost _bus = null!;

    public async Task InitializeAsync() => _bus = await HarnessHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static readonly TaskSpec Spec = new()
    {
        ModelName = "logreg",
        SampleShape = [8],
        ClassCount = 2,
        Rounds = 3,
        Training = new TrainingConfig(1, 10, 0.1),
        Privacy = new PrivacyConfig(true, 1.0, 1.0, 100, 1e-5) { Mechanism = PrivacyMechanism.Central, NoiseSeed = 9 },
        Signing = SigningAlgorithms.None, // the test's manifests are unsigned (signing: SignedUpdateTests)
    };

    private static RoundStarted Round(int round, DateTimeOffset deadline) => new("t", round, 0, ["a", "b"], deadline,
        Spec.Training, Spec.Privacy, 256, Spec.ModelName, Spec.Strategy, [], 0.5, 1, Settings: RoundPlanner.Plan(Spec, new RoundContext(round, 2, 2, 2.0)));

    [Fact]
    public async Task A_restart_after_a_failed_round_continues_the_dp_noise_stream_where_the_failed_round_left_it()
    {
        var models = new FileModelStore(Path.Combine(_root, "models"));
        await models.SaveVersionAsync(new ModelVersionInfo("t", 0, 0, null, 18, "d0", null, null, false, DateTimeOffset.UtcNow), new float[18], CancellationToken.None);
        var options = new AggregationOptions { CheckpointDirectory = Path.Combine(_root, "checkpoints") };
        await using (var first = await AggregationInstance.StartAsync(_bus.Bus, models, options))
        {
            await first.Opener.OpenAsync(Round(1, DateTimeOffset.UtcNow.AddSeconds(1)), CancellationToken.None); // nobody delivers
            var failed = await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));
            Assert.False(failed.Succeeded);
            using (await first.Registry.LockAsync(CancellationToken.None)) { } // the close, under the lock, has written its checkpoints
            Assert.Equal(1, Assert.IsType<DpFedAvg>(first.Registry.StrategyOf("t")).RoundsBegun);
        }

        await using var restarted = await AggregationInstance.StartAsync(_bus.Bus, models, options);
        await restarted.Opener.OpenAsync(Round(2, DateTimeOffset.UtcNow.AddHours(1)), CancellationToken.None);

        // Round 2 draws noise stream 1, as the process that never restarted would; afresh it would draw stream 0 again.
        Assert.Equal(2, Assert.IsType<DpFedAvg>(restarted.Registry.StrategyOf("t")).RoundsBegun);
    }
}
