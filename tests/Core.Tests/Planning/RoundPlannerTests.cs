using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Planning;
using FlMicroservices.Core.Privacy.Dp;

namespace FlMicroservices.Core.Tests.Planning;

public class RoundPlannerTests
{
    private static readonly RoundContext Round3 = new(3, HealthyClients: 12, SampledClients: 4, ExpectedClients: 4.5);

    private static TaskSpec Spec(string strategy, Dictionary<string, string>? parameters = null, double mu = 0, PrivacyConfig? privacy = null) => new()
    {
        ModelName = "mlp", SampleShape = [4], ClassCount = 2, Rounds = 3, Training = new TrainingConfig(1, 10, 0.1, mu),
        Strategy = strategy, StrategyParameters = parameters ?? [], Privacy = privacy ?? PrivacyConfig.None,
        Signing = SigningAlgorithms.None, // these tests are about strategies; signing has its own below
    };

    [Theory]
    [InlineData(SigningAlgorithms.EcdsaP256, SigningAlgorithms.EcdsaP256)]
    [InlineData(SigningAlgorithms.MlDsa65, SigningAlgorithms.MlDsa65)]
    [InlineData(SigningAlgorithms.None, null)]
    public void The_tasks_signing_algorithm_is_planned_for_every_round(string signing, string? planned)
    {
        Assert.Equal(planned, RoundPlanner.Plan(Spec("fedavg") with { Signing = signing }, Round3).Signing);
        Assert.Equal(SigningAlgorithms.EcdsaP256, new TaskSpec { ModelName = "mlp", SampleShape = [4], ClassCount = 2, Rounds = 1, Training = new TrainingConfig(1, 1, 0.1) }.Signing);
    }

    [Theory]
    [InlineData("fold", "fold")]
    [InlineData("drop", null)]
    public void The_tasks_late_update_policy_is_planned_for_every_round_and_drop_is_left_out(string policy, string? planned)
    {
        Assert.Equal(planned, RoundPlanner.Plan(Spec("fedavg") with { LateUpdates = policy }, Round3).LateUpdates);
        Assert.Equal("drop", Spec("fedavg").LateUpdates); // the default
    }

    public static TheoryData<string, string, RoundSettings> Strategies() => new()
    {
        { "fedavg", "", RoundSettings.None },
        { "fedadam", "server-lr=0.5", RoundSettings.None },
        { "fedprox", "", new RoundSettings(ProximalMu: FedProx.DefaultMu) },
        { "fedprox", "mu=0.25", new RoundSettings(ProximalMu: 0.25) },
        { "scaffold", "server-lr=0.5", new RoundSettings(TotalClients: 12, ControlVariates: true) },
        { "fedavg", "max-norm=2", new RoundSettings(WholeUpdateNorms: true) },
        { "fedprox", "max-norm=2", new RoundSettings(ProximalMu: FedProx.DefaultMu, WholeUpdateNorms: true) },
        { "median", "max-norm=2", RoundSettings.None }, // robust strategies take no bounding wrapper: the key is ignored
        { "krum", "f=1", RoundSettings.None },
        { "trimmed-mean", "", RoundSettings.None },
    };

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Each_strategy_plans_what_it_asks_of_the_round(string strategy, string parameters, RoundSettings expected)
    {
        var own = parameters.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

        Assert.Equal(expected, RoundPlanner.Plan(Spec(strategy, own), Round3));
    }

    [Fact]
    public void The_tasks_own_proximal_term_goes_to_every_strategy_and_wins_over_fedprox_default()
    {
        Assert.Equal(0.3, RoundPlanner.Plan(Spec("fedavg", mu: 0.3), Round3).ProximalMu);
        Assert.Equal(0.3, RoundPlanner.Plan(Spec("fedprox", new() { ["mu"] = "0.01" }, mu: 0.3), Round3).ProximalMu);
        Assert.Equal(0.0, RoundPlanner.Plan(Spec("fedprox", new() { ["mu"] = "0" }), Round3).ProximalMu);
    }

    [Fact]
    public void Scaffold_takes_N_from_each_rounds_healthy_clients_and_refuses_a_proximal_term()
    {
        Assert.Equal(7, RoundPlanner.Plan(Spec("scaffold"), Round3 with { HealthyClients = 7 }).TotalClients);

        var error = Assert.Throws<ArgumentException>(() => RoundPlanner.Plan(Spec("scaffold", mu: 0.1), Round3));
        Assert.Contains("scaffold", error.Message);
        Assert.Contains("0.1", error.Message);
    }

    [Fact]
    public void Central_dp_becomes_one_typed_block_with_the_expected_clients_and_asks_for_whole_update_norms()
    {
        var privacy = new PrivacyConfig(true, 1.1, 0.5, 10, 1e-5) { AdaptiveClipping = true, TargetQuantile = 0.7, ClipLearningRate = 0.3, CountNoiseStd = 4, NoiseSeed = 9 };

        var settings = RoundPlanner.Plan(Spec("fedadam", privacy: privacy), Round3);
        var strategy = Assert.IsType<DpFedAvg>(StrategyCatalog.Create("fedadam", settings: settings));

        Assert.Equal(new RoundSettings(WholeUpdateNorms: true, CentralDp: new CentralDpSettings(1.1, 0.5, true, 0.7, 0.3, 4, 4.5, 9)), settings);
        Assert.Equal(new DpFedAvgOptions(1.1, 0.5) { Adaptive = true, TargetQuantile = 0.7, ClipLearningRate = 0.3, CountNoiseStd = 4, ExpectedClients = 4.5, Seed = 9 },
            strategy.Options);
        Assert.IsType<FedAdam>(strategy.Inner);
    }

    [Fact]
    public void Fixed_clipping_ignores_the_adaptive_settings_and_local_dp_adds_no_server_block()
    {
        var fixedClip = new PrivacyConfig(true, 1, 2, 10, 1e-5) { TargetQuantile = 7, ClipLearningRate = -1, CountNoiseStd = 3 };
        var local = fixedClip with { Mechanism = PrivacyMechanism.Local };

        Assert.Equal(new CentralDpSettings(1, 2, ExpectedClients: 4.5), RoundPlanner.Plan(Spec("fedavg", privacy: fixedClip), Round3).CentralDp);
        Assert.Equal(RoundSettings.None, RoundPlanner.Plan(Spec("fedavg", privacy: local), Round3));
    }

    [Theory]
    [InlineData("krum", "", "'krum'")]
    [InlineData("scaffold", "", "central differential privacy")]
    [InlineData("fedavg", "max-norm", "'max-norm'")]
    public void What_dp_fedavg_cannot_wrap_is_refused_when_planned_and_named(string strategy, string key, string named)
    {
        var spec = Spec(strategy, key == "" ? null : new() { [key] = "2" }, privacy: new PrivacyConfig(true, 1, 1, 10, 1e-5));

        Assert.Contains(named, Assert.Throws<ArgumentException>(() => RoundPlanner.Plan(spec, Round3)).Message);
        Assert.Contains(named, RoundPlanner.CentralDpProblem(spec));
        Assert.Null(RoundPlanner.CentralDpProblem(spec with { Privacy = PrivacyConfig.None }));
    }

    [Fact]
    public void Validation_names_derived_keys_a_bad_strategy_and_a_refused_proximal_term()
    {
        var derived = RoundPlanner.Problems(Spec("fedavg", new() { ["dp-clip"] = "1", ["dp-noise-multiplier"] = "1", ["scaffold-total-clients"] = "3" }));
        var unknown = Assert.Single(RoundPlanner.Problems(Spec("fedfoo")));
        var prox = Assert.Single(RoundPlanner.Problems(Spec("scaffold", mu: 0.01)));

        Assert.Equal(2, derived.Count);
        Assert.StartsWith("StrategyParameters 'dp-clip', 'dp-noise-multiplier': ", derived[0]);
        Assert.StartsWith("StrategyParameters 'scaffold-total-clients': ", derived[1]);
        Assert.StartsWith("Strategy: Unknown aggregation strategy 'fedfoo'", unknown);
        Assert.StartsWith("Training.ProximalMu 0.01: ", prox);
        Assert.Empty(RoundPlanner.Problems(Spec("scaffold", new() { ["server-lr"] = "0.5" })));
    }

    [Fact]
    public void Norm_parameters_are_max_norm_and_a_nonzero_outlier_factor()
    {
        Assert.Equal(["max-norm", "outlier-factor"], RoundPlanner.NormParameters(new Dictionary<string, string> { ["max-norm"] = "1", ["outlier-factor"] = "3", ["f"] = "1" }));
        Assert.Empty(RoundPlanner.NormParameters(new Dictionary<string, string> { ["outlier-factor"] = "0" }));
        Assert.Empty(RoundPlanner.NormParameters(null));
    }

    [Fact]
    public void Every_catalog_strategy_can_be_planned_with_its_defaults()
    {
        foreach (var name in StrategyCatalog.Names)
        {
            var settings = RoundPlanner.Plan(Spec(name), Round3);
            Assert.Equal(name == "scaffold", settings.ControlVariates);
            Assert.Equal(name, StrategyCatalog.Create(name, settings: settings).Name);
        }
    }
}
