using FlMicroservices.Contracts.V1;
using FlMicroservices.Registry;

namespace FlMicroservices.Services.Tests.Privacy;

public class TaskSpecPrivacyValidationTests
{
    private static readonly TaskSpec Valid = new()
    {
        ModelName = "mlp",
        SampleShape = [1, 28, 28],
        ClassCount = 10,
        Rounds = 5,
        Training = new TrainingConfig(1, 10, 0.1),
        Privacy = new PrivacyConfig(true, 1.1, 1.0, 8, 1e-5),
    };

    private static string SingleProblem(TaskSpec spec) => Assert.Single(TaskSpecValidator.Validate("task-1", spec));

    [Fact]
    public void Valid_dp_tasks_are_accepted()
    {
        Assert.Empty(TaskSpecValidator.Validate("task-1", Valid));
        Assert.Empty(TaskSpecValidator.Validate("task-1", Valid with { Strategy = "fedadam", Sampling = ClientSampling.Poisson }));
        Assert.Empty(TaskSpecValidator.Validate("task-1", Valid with { Privacy = Valid.Privacy with { AdaptiveClipping = true, TargetQuantile = 0.7 } }));
        Assert.Empty(TaskSpecValidator.Validate("task-1", Valid with { Strategy = "krum", MinClientsPerRound = 6, Privacy = Valid.Privacy with { Mechanism = PrivacyMechanism.Local } }));
    }

    public static TheoryData<string, Func<PrivacyConfig, PrivacyConfig>> Defects => new()
    {
        { "Privacy.NoiseMultiplier 0 ", p => p with { NoiseMultiplier = 0 } },
        { "Privacy.NoiseMultiplier -1 ", p => p with { NoiseMultiplier = -1 } },
        { "Privacy.NoiseMultiplier NaN ", p => p with { NoiseMultiplier = double.NaN } },
        { "Privacy.ClippingNorm 0 ", p => p with { ClippingNorm = 0 } },
        { "Privacy.ClippingNorm Infinity ", p => p with { ClippingNorm = double.PositiveInfinity } },
        { "Privacy.EpsilonBudget 0 ", p => p with { EpsilonBudget = 0 } },
        { "Privacy.EpsilonBudget -3 ", p => p with { EpsilonBudget = -3 } },
        { "Privacy.Delta 0 ", p => p with { Delta = 0 } },
        { "Privacy.Delta 1 ", p => p with { Delta = 1 } },
        { "Privacy.TargetQuantile 1.5 ", p => p with { AdaptiveClipping = true, TargetQuantile = 1.5 } },
        { "Privacy.ClipLearningRate 0 ", p => p with { AdaptiveClipping = true, ClipLearningRate = 0 } },
        { "Privacy.CountNoiseStd 0.5 ", p => p with { AdaptiveClipping = true, CountNoiseStd = 0.5 } },
        { "Privacy.AdaptiveClipping", p => p with { AdaptiveClipping = true, Mechanism = PrivacyMechanism.Local } },
    };

    [Theory]
    [MemberData(nameof(Defects))]
    public void Each_bad_privacy_setting_gives_one_problem_that_names_it(string expected, Func<PrivacyConfig, PrivacyConfig> defect)
    {
        var problem = SingleProblem(Valid with { Privacy = defect(Valid.Privacy) });

        Assert.StartsWith(expected, problem);
    }

    [Fact]
    public void Every_bad_setting_is_named_at_once()
    {
        var problems = TaskSpecValidator.Validate("task-1", Valid with { Privacy = new PrivacyConfig(true, 0, -1, 0, 2) });

        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Privacy.NoiseMultiplier", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Privacy.ClippingNorm", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Privacy.EpsilonBudget", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Privacy.Delta", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("krum")]
    [InlineData("median")]
    public void A_robust_strategy_is_refused_under_central_dp(string strategy)
    {
        var problem = SingleProblem(Valid with { Strategy = strategy, MinClientsPerRound = 6 });

        Assert.StartsWith("Privacy:", problem);
        Assert.Contains($"'{strategy}'", problem);
    }

    [Fact]
    public void Max_norm_is_refused_under_central_dp()
    {
        var problem = SingleProblem(Valid with { StrategyParameters = new() { ["max-norm"] = "2" } });

        Assert.StartsWith("Privacy:", problem);
        Assert.Contains("max-norm", problem);
    }

    [Fact]
    public void Dp_strategy_parameters_set_by_hand_are_refused_with_or_without_privacy()
    {
        var withDp = SingleProblem(Valid with { StrategyParameters = new() { ["dp-noise-multiplier"] = "0.1", ["dp-clip"] = "5" } });
        var withoutDp = SingleProblem(Valid with { Privacy = PrivacyConfig.None, StrategyParameters = new() { ["dp-noise-multiplier"] = "0.1" } });

        Assert.StartsWith("StrategyParameters 'dp-clip', 'dp-noise-multiplier'", withDp);
        Assert.Contains("set Privacy instead", withDp);
        Assert.StartsWith("StrategyParameters 'dp-noise-multiplier'", withoutDp);
    }

    [Fact]
    public void Privacy_settings_are_not_checked_while_dp_is_off()
    {
        Assert.Empty(TaskSpecValidator.Validate("task-1", Valid with { Privacy = new PrivacyConfig(false, -1, -1, -1, 7) }));
    }
}
