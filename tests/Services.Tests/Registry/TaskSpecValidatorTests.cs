using FlMicroservices.Contracts.V1;
using FlMicroservices.Registry;

namespace FlMicroservices.Services.Tests.Registry;

public class TaskSpecValidatorTests
{
    private static readonly TaskSpec Valid = new()
    {
        ModelName = "mlp",
        SampleShape = [1, 28, 28],
        ClassCount = 10,
        Rounds = 5,
        Training = new TrainingConfig(1, 10, 0.1),
    };

    private static string SingleProblem(TaskSpec spec, string taskId = "mnist-1") => Assert.Single(TaskSpecValidator.Validate(taskId, spec));

    [Fact]
    public void A_valid_spec_has_no_problems()
    {
        Assert.Empty(TaskSpecValidator.Validate("mnist-1", Valid));
        Assert.Empty(TaskSpecValidator.Validate("a", Valid with { ModelName = "cnn", ClientFraction = 1, Quorum = 1, SliceElements = 65_536 }));
        Assert.Empty(TaskSpecValidator.Validate("A.b_c-9", Valid with { ModelName = "logreg", SliceElements = 1 }));
    }

    [Theory]
    [InlineData("ecdsa-p256", null)]
    [InlineData("ml-dsa-65", null)]
    [InlineData("none", null)]
    [InlineData("rsa", "Signing 'rsa' is unknown (known: ecdsa-p256, ml-dsa-65, none)")]
    [InlineData("ECDSA-P256", "Signing 'ECDSA-P256' is unknown (known: ecdsa-p256, ml-dsa-65, none)")]
    public void The_signing_algorithm_must_be_one_the_platform_knows(string signing, string? problem) =>
        Assert.Equal(problem is null ? [] : [problem], TaskSpecValidator.Validate("mnist-1", Valid with { Signing = signing }));

    [Theory]
    [InlineData("random", null)]
    [InlineData("fairness", null)]
    [InlineData("power-of-choice", null)]
    [InlineData("deadline", null)]
    [InlineData("oort", null)]
    [InlineData("greedy", "Selection 'greedy' is unknown (known: random, deadline, oort, fairness, power-of-choice)")]
    public void The_selection_policy_must_be_one_the_selector_knows(string selection, string? problem) =>
        Assert.Equal(problem is null ? [] : [problem], TaskSpecValidator.Validate("mnist-1", Valid with { Selection = selection }));

    [Fact]
    public void A_selection_other_than_random_is_refused_where_a_random_draw_is_assumed()
    {
        Assert.StartsWith("Selection 'oort' cannot be combined with Poisson sampling",
            SingleProblem(Valid with { Selection = "oort", Sampling = ClientSampling.Poisson }), StringComparison.Ordinal);
        var centralDp = new PrivacyConfig(true, 1.0, 1.0, 8, 1e-5);
        Assert.StartsWith("Selection 'fairness' cannot be combined with central DP",
            SingleProblem(Valid with { Selection = "fairness", Privacy = centralDp }), StringComparison.Ordinal);
        Assert.Empty(TaskSpecValidator.Validate("mnist-1", Valid with { Selection = "random", Privacy = centralDp }));
    }

    [Theory]
    [InlineData(0.0, null)]
    [InlineData(0.3, null)]
    [InlineData(1.0, null)]
    [InlineData(-0.1, "OverSelection -0.1 must be a share from 0 (none) to 1 (twice the clients a round needs)")]
    [InlineData(1.5, "OverSelection 1.5 must be a share from 0 (none) to 1 (twice the clients a round needs)")]
    [InlineData(double.NaN, "OverSelection NaN must be a share from 0 (none) to 1 (twice the clients a round needs)")]
    public void Over_selection_is_a_share_from_0_to_1(double share, string? problem) =>
        Assert.Equal(problem is null ? [] : [problem], TaskSpecValidator.Validate("mnist-1", Valid with { OverSelection = share }));

    [Fact]
    public void Over_selection_is_refused_where_every_picked_client_must_count()
    {
        Assert.StartsWith("OverSelection cannot be combined with Poisson sampling",
            SingleProblem(Valid with { OverSelection = 0.3, Sampling = ClientSampling.Poisson }), StringComparison.Ordinal);
        Assert.StartsWith("OverSelection cannot be combined with central DP",
            SingleProblem(Valid with { OverSelection = 0.3, Privacy = new PrivacyConfig(true, 1.0, 1.0, 8, 1e-5) }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("drop", null)]
    [InlineData("fold", null)]
    [InlineData("keep", "LateUpdates 'keep' is unknown (known: drop, fold)")]
    [InlineData("", "LateUpdates '' is unknown (known: drop, fold)")]
    public void Late_updates_are_dropped_or_folded(string policy, string? problem) =>
        Assert.Equal(problem is null ? [] : [problem], TaskSpecValidator.Validate("mnist-1", Valid with { LateUpdates = policy }));

    [Fact]
    public void Folding_late_updates_is_refused_where_a_round_must_take_only_fresh_updates_of_its_own_model()
    {
        var fold = Valid with { LateUpdates = "fold" };
        Assert.StartsWith("LateUpdates 'fold' cannot be combined with Poisson sampling",
            SingleProblem(fold with { Sampling = ClientSampling.Poisson }), StringComparison.Ordinal);
        Assert.StartsWith("LateUpdates 'fold' cannot be combined with central DP",
            SingleProblem(fold with { Privacy = new PrivacyConfig(true, 1.0, 1.0, 8, 1e-5) }), StringComparison.Ordinal);
        Assert.StartsWith("LateUpdates 'fold' cannot be combined with secure aggregation",
            SingleProblem(fold with { Privacy = PrivacyConfig.None with { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationClip = 1 }, MinClientsPerRound = 3 }), StringComparison.Ordinal);
        Assert.StartsWith("LateUpdates 'fold' cannot be combined with the robust strategy 'median'",
            SingleProblem(fold with { Strategy = "median" }), StringComparison.Ordinal);
        Assert.StartsWith("LateUpdates 'fold' cannot be combined with SCAFFOLD", SingleProblem(fold with { Strategy = "scaffold" }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("krum", 1, 0.5, "MinClientsPerRound 1 with Quorum 0.5: strategy 'krum' with a Byzantine share of 0.2 needs n > 2f + 2 and so rounds of at least 3 updates, but a round may aggregate as few as 1 (after dropouts); raise MinClientsPerRound to 5")]
    [InlineData("bulyan", 10, 1.0, "MinClientsPerRound 10 with Quorum 1: strategy 'bulyan' with a Byzantine share of 0.2 needs n >= 4f + 3 and so rounds of at least 11 updates, but a round may aggregate as few as 10 (after dropouts); raise MinClientsPerRound to 11")]
    [InlineData("multi-krum", 4, 0.5, "as few as 2 (after dropouts); raise MinClientsPerRound to 5")]
    public void A_robust_strategy_that_cannot_aggregate_the_smallest_round_is_refused_with_the_fix(string strategy, int minClients, double quorum, string expected) =>
        Assert.Contains(expected, SingleProblem(Valid with { Strategy = strategy, MinClientsPerRound = minClients, Quorum = quorum }));

    [Fact]
    public void An_explicit_f_that_no_round_of_the_task_can_satisfy_is_refused()
    {
        var problem = SingleProblem(Valid with { Strategy = "krum", MinClientsPerRound = 3, StrategyParameters = new() { ["f"] = "5" } });

        Assert.Contains("strategy 'krum' with f = 5 needs n > 2f + 2 and so rounds of at least 13 updates, but a round may aggregate as few as 2", problem);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void A_byzantine_share_outside_0_to_one_half_is_refused(double share) =>
        Assert.StartsWith($"ByzantineShare {share.ToString(System.Globalization.CultureInfo.InvariantCulture)} must be in [0, 0.5)", SingleProblem(Valid with { ByzantineShare = share }));

    [Fact]
    public void Bulyan_with_a_quarter_or_more_is_refused_by_its_share()
    {
        var problem = SingleProblem(Valid with { Strategy = "bulyan", MinClientsPerRound = 100, ByzantineShare = 0.25 });

        Assert.Contains("ByzantineShare 0.25: strategy 'bulyan' needs n >= 4f + 3, so it cannot tolerate a Byzantine share of 0.25 in a round of any size", problem);
    }

    [Fact]
    public void Robust_strategies_with_enough_clients_per_round_are_accepted()
    {
        Assert.Empty(TaskSpecValidator.Validate("t", Valid with { Strategy = "krum", MinClientsPerRound = 6 }));
        Assert.Empty(TaskSpecValidator.Validate("t", Valid with { Strategy = "bulyan", MinClientsPerRound = 21 }));
        Assert.Empty(TaskSpecValidator.Validate("t", Valid with { Strategy = "median" }));
        Assert.Empty(TaskSpecValidator.Validate("t", Valid with { Strategy = "trimmed-mean", ByzantineShare = 0.45 }));
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData("has space")]
    public void A_bad_task_id_is_a_problem_naming_the_task_id(string taskId)
    {
        var problem = SingleProblem(Valid, taskId);

        Assert.StartsWith("TaskId", problem);
        Assert.Contains($"'{taskId}'", problem);
    }

    [Fact]
    public void A_task_id_longer_than_64_characters_is_a_problem()
    {
        Assert.Empty(TaskSpecValidator.Validate(new string('x', 64), Valid));
        Assert.StartsWith("TaskId", SingleProblem(Valid, new string('x', 65)));
    }

    [Fact]
    public void An_unknown_model_is_a_problem_naming_the_model_and_the_known_ones()
    {
        var problem = SingleProblem(Valid with { ModelName = "resnet50" });

        Assert.Contains("ModelName 'resnet50' is unknown", problem);
        Assert.Contains("logreg, mlp, cnn", problem);
    }

    public static TheoryData<string, Func<TaskSpec, TaskSpec>> Defects => new()
    {
        { "Rounds 0", s => s with { Rounds = 0 } },
        { "ClientFraction 0", s => s with { ClientFraction = 0 } },
        { "ClientFraction 1.5", s => s with { ClientFraction = 1.5 } },
        { "ClientFraction NaN", s => s with { ClientFraction = double.NaN } },
        { "Training.LearningRate NaN", s => s with { Training = s.Training with { LearningRate = double.NaN } } },
        { "Training.LearningRate Infinity", s => s with { Training = s.Training with { LearningRate = double.PositiveInfinity } } },
        { "Training.LearningRate 0", s => s with { Training = s.Training with { LearningRate = 0 } } },
        { "Training.BatchSize 0", s => s with { Training = s.Training with { BatchSize = 0 } } },
        { "Training.LocalEpochs 0", s => s with { Training = s.Training with { LocalEpochs = 0 } } },
        { "Training.ProximalMu -0.1", s => s with { Training = s.Training with { ProximalMu = -0.1 } } },
        { "SliceElements 0", s => s with { SliceElements = 0 } },
        { "SliceElements 70000", s => s with { SliceElements = 70_000 } },
        { "SliceElements 65537", s => s with { SliceElements = 65_537 } },
        { "Privacy.NoiseMultiplier", s => s with { Privacy = new PrivacyConfig(true, 0, 1.0, 8, 1e-5) } },
        { "Quorum 0", s => s with { Quorum = 0 } },
        { "MinClientsPerRound 0", s => s with { MinClientsPerRound = 0 } },
        { "ClassCount 1", s => s with { ClassCount = 1 } },
        { "SampleShape", s => s with { SampleShape = [1, 0, 28] } },
        { "RoundTimeout", s => s with { RoundTimeout = TimeSpan.Zero } },
        { "Strategy: Unknown aggregation strategy 'no-such-strategy'", s => s with { Strategy = "no-such-strategy" } },
        { "Strategy: ", s => s with { Strategy = "krum", StrategyParameters = new() { ["f"] = "-1" } } },
        { "RollbackThreshold NaN", s => s with { RollbackThreshold = double.NaN } },
        { "RollbackWindow -1", s => s with { RollbackWindow = -1 } },
        { "RollbackMargin 1", s => s with { RollbackMargin = 1 } },
        { "MaxRollbacksInARow -3", s => s with { MaxRollbacksInARow = -3 } },
    };

    [Theory]
    [MemberData(nameof(Defects))]
    public void Each_invalid_setting_gives_one_problem_that_names_it(string expected, Func<TaskSpec, TaskSpec> defect)
    {
        var problem = SingleProblem(defect(Valid));

        Assert.StartsWith(expected, problem);
    }

    [Fact]
    public void The_slice_size_problem_states_the_limit()
    {
        Assert.Contains("[1, 65536]", SingleProblem(Valid with { SliceElements = 70_000 }));
    }

    [Fact]
    public void Several_problems_are_all_reported()
    {
        var problems = TaskSpecValidator.Validate("../evil", Valid with { Rounds = 0, Training = new TrainingConfig(0, 0, -1) });

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("TaskId", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Rounds", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Training.LocalEpochs", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Training.BatchSize", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Training.LearningRate", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_spec_is_a_problem()
    {
        Assert.Equal(["Spec is missing"], TaskSpecValidator.Validate("mnist-1", null));
    }
}
