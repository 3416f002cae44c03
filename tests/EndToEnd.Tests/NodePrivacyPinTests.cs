using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Node;
using FlMicroservices.Node.Privacy;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>A node pins a task's privacy settings at its first round and refuses later rounds that weaken them, across restarts.</summary>
public sealed class NodePrivacyPinTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "fl-pins-" + Guid.NewGuid().ToString("N"));

    private static readonly PrivacyConfig Dp = new(true, 1.1, 0.5, 4, 1e-5);
    private static readonly PrivacyConfig SecAggDp = Dp with { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationClip = 0.05, SecureAggregationThreshold = 6 };

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static RoundStarted Round(int round, PrivacyConfig privacy, string task = "t") => new(task, round, round - 1, ["a"], DateTimeOffset.UtcNow.AddMinutes(5),
        new TrainingConfig(1, 10, 0.1), privacy, 256, "logreg", "fedavg", [], 0.5, 1);

    public static TheoryData<string, PrivacyConfig, string> Downgrades => new()
    {
        { "privacy off", PrivacyConfig.None, "secure aggregation None instead of SecAgg" },
        { "secagg off", SecAggDp with { SecureAggregation = SecureAggregationMode.None }, "secure aggregation None instead of SecAgg" },
        { "secagg+", SecAggDp with { SecureAggregation = SecureAggregationMode.SecAggPlus }, "secure aggregation SecAggPlus instead of SecAgg" },
        { "threshold", SecAggDp with { SecureAggregationThreshold = 2 }, "secure aggregation threshold 2 below 6" },
        { "dp off", SecAggDp with { Enabled = false }, "differential privacy switched off" },
        { "less noise", SecAggDp with { NoiseMultiplier = 0.3 }, "noise multiplier 0.3 below 1.1" },
        { "bigger budget", SecAggDp with { EpsilonBudget = 400 }, "epsilon budget 400 above 4" },
        { "bigger delta", SecAggDp with { Delta = 0.1 }, "delta 0.1 above 1E-05" },
        { "mechanism", SecAggDp with { Mechanism = PrivacyMechanism.Local }, "privacy mechanism Local instead of Central" },
        { "seeded noise", SecAggDp with { NoiseSeed = 7 }, "a noise seed (anyone who knows it can subtract the noise)" },
        { "infinite noise budget", SecAggDp with { EpsilonBudget = double.PositiveInfinity }, "epsilon budget Infinity above 4" },
        { "NaN noise", SecAggDp with { NoiseMultiplier = double.NaN }, "noise multiplier NaN below 1.1" },
    };

    [Theory]
    [MemberData(nameof(Downgrades))]
    public void Each_weakening_is_named(string _, PrivacyConfig offered, string expected) =>
        Assert.Equal(expected, PrivacyFloor.Weakening(SecAggDp, offered));

    [Fact]
    public void Equal_or_stronger_settings_pass()
    {
        Assert.Null(PrivacyFloor.Weakening(SecAggDp, SecAggDp));
        Assert.Null(PrivacyFloor.Weakening(SecAggDp, SecAggDp with { NoiseMultiplier = 2, EpsilonBudget = 2, Delta = 1e-6, SecureAggregationThreshold = 8 }));
        Assert.Null(PrivacyFloor.Weakening(PrivacyConfig.None, Dp)); // no privacy pinned: nothing to weaken
        var local = Dp with { Mechanism = PrivacyMechanism.Local };
        Assert.Equal("clipping norm 2 above 0.5", PrivacyFloor.Weakening(local, local with { ClippingNorm = 2 }));
        Assert.Null(PrivacyFloor.Weakening(Dp, Dp with { ClippingNorm = 2 })); // central: the server clips (adaptive clipping moves it)
    }

    [Fact]
    public async Task The_first_round_pins_the_task_and_a_restarted_node_still_refuses_a_downgrade()
    {
        Directory.CreateDirectory(_dir);
        using var store = new SqliteStateStore(Path.Combine(_dir, "node-n1.db"));
        var pins = new PrivacyPins(store);
        Assert.Null(await pins.CheckAsync(Round(1, SecAggDp), CancellationToken.None));
        Assert.Null(await pins.CheckAsync(Round(2, SecAggDp), CancellationToken.None));
        Assert.Null(await pins.CheckAsync(Round(1, PrivacyConfig.None, task: "other"), CancellationToken.None)); // another task pins its own

        using var reopened = new SqliteStateStore(Path.Combine(_dir, "node-n1.db"));
        var restarted = new PrivacyPins(reopened);
        Assert.Equal("round 3 of task t asks for weaker privacy than the task's first round: secure aggregation None instead of SecAgg",
            await restarted.CheckAsync(Round(3, PrivacyConfig.None), CancellationToken.None));
        Assert.Null(await restarted.CheckAsync(Round(3, SecAggDp), CancellationToken.None));
    }

    [Fact]
    public void A_diverged_local_training_is_not_submitted_and_the_reason_names_the_metric()
    {
        Assert.Equal("TrainLoss is NaN", UpdateUplink.NonFiniteMetric(new LocalMetrics(double.NaN, 1, 3)));
        Assert.Equal("TrainSeconds is Infinity", UpdateUplink.NonFiniteMetric(new LocalMetrics(0.1, double.PositiveInfinity, 3)));
        Assert.Null(UpdateUplink.NonFiniteMetric(new LocalMetrics(0.1, 2, 3)));
    }
}
