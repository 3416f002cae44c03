using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Privacy.Dp;

namespace FlMicroservices.Core.Tests.Privacy.Dp;

public class DpFedAvgParametersTests
{
    private static Dictionary<string, string> P(params (string Key, string Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value);

    private static RoundSettings Dp(CentralDpSettings block) => new(CentralDp: block, WholeUpdateNorms: true);

    [Theory]
    [InlineData("fedavg", typeof(FedAvg))]
    [InlineData("fedadam", typeof(FedAdam))]
    [InlineData("fedavgm", typeof(FedAvgM))]
    [InlineData("fedprox", typeof(FedProx))]
    public void The_catalog_wraps_any_linear_strategy_when_the_round_plan_has_central_dp(string name, Type inner)
    {
        var strategy = StrategyCatalog.Create(name, settings: Dp(new CentralDpSettings(1.1, 0.5, ExpectedClients: 12.5, Seed: 7)));

        var dp = Assert.IsType<DpFedAvg>(strategy);
        Assert.IsType(inner, dp.Inner);
        Assert.Equal(name, dp.Name);
        Assert.Equal(new DpFedAvgOptions(1.1, 0.5) { ExpectedClients = 12.5, Seed = 7 }, dp.Options);
        Assert.IsNotType<DpFedAvg>(StrategyCatalog.Create(name, P(("server-lr", "1"))));
    }

    [Fact]
    public void The_typed_block_and_the_options_map_both_ways_and_parse_reads_an_old_selectors_keys()
    {
        var block = new CentralDpSettings(0.9, 2, Adaptive: true, TargetQuantile: 0.7, ClipLearningRate: 0.3, CountNoiseStd: 4, ExpectedClients: 10, Seed: -3);
        var options = new DpFedAvgOptions(0.9, 2) { Adaptive = true, TargetQuantile = 0.7, ClipLearningRate = 0.3, CountNoiseStd = 4, ExpectedClients = 10, Seed = -3 };

        Assert.Equal(options, DpFedAvgOptions.From(block));
        Assert.Equal(block, options.ToSettings());
        Assert.Equal(options, DpFedAvgParameters.Parse(P(("server-lr", "0.5"), ("dp-noise-multiplier", "0.9"), ("dp-clip", "2"), ("dp-adaptive", "true"),
            ("dp-target-quantile", "0.7"), ("dp-clip-lr", "0.3"), ("dp-count-noise", "4"), ("dp-expected-clients", "10"), ("dp-seed", "-3"))));
        Assert.False(DpFedAvgParameters.Parse(P(("dp-noise-multiplier", "1"), ("dp-clip", "1"))).Adaptive);
    }

    [Theory]
    [InlineData("median")]
    [InlineData("krum")]
    [InlineData("trimmed-mean")]
    public void A_robust_strategy_cannot_run_under_central_dp(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create(name, settings: Dp(new CentralDpSettings(1, 1))));

        Assert.Contains($"'{name}'", error.Message);
        Assert.Contains("differential privacy", error.Message);
    }

    [Fact]
    public void Max_norm_cannot_be_combined_with_dp_clipping()
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create("fedavg", P(("max-norm", "2")), settings: Dp(new CentralDpSettings(1, 1))));

        Assert.Contains("max-norm", error.Message);
    }

    [Theory]
    [InlineData("dp-clip", "-1", "dp-clip")]
    [InlineData("dp-clip", "abc", "dp-clip")]
    [InlineData("dp-noise-multiplier", "-0.5", "dp-noise-multiplier")]
    [InlineData("dp-expected-clients", "0", "dp-expected-clients")]
    [InlineData("dp-adaptive", "maybe", "dp-adaptive")]
    [InlineData("dp-seed", "1.5", "dp-seed")]
    [InlineData("dp-target-quantile", "2", "dp-target-quantile")]
    [InlineData("dp-clip-lr", "0", "dp-clip-lr")]
    [InlineData("dp-count-noise", "0.1", "dp-count-noise")]
    public void A_bad_value_of_an_old_message_is_refused_naming_its_key(string key, string value, string named)
    {
        var parameters = P(("dp-noise-multiplier", "1"), ("dp-clip", "1"), ("dp-adaptive", "true"));
        parameters[key] = value;

        var error = Assert.Throws<ArgumentException>(() => DpFedAvgParameters.Parse(parameters));

        Assert.Contains($"'{named}'", error.Message);
    }

    [Fact]
    public void The_clip_norm_is_required()
    {
        var error = Assert.Throws<ArgumentException>(() => DpFedAvgParameters.Parse(P(("dp-noise-multiplier", "1"))));

        Assert.Contains("'dp-clip' is required", error.Message);
    }

    [Fact]
    public void The_update_noise_multiplier_spends_what_z_alone_would()
    {
        // z⁻² = z_Δ⁻² + (2σ_b)⁻²: the two Gaussian queries compose to one with noise multiplier z (Andrew et al. 2021).
        foreach (var (z, sigmaB) in new[] { (1.0, 1.0), (0.8, 5.0), (2.0, 1.01), (1.1, 0.6) })
        {
            var zDelta = AdaptiveClipping.UpdateNoiseMultiplier(z, sigmaB);
            Assert.True(zDelta > z);
            Assert.Equal(1 / (z * z), 1 / (zDelta * zDelta) + 1 / (4 * sigmaB * sigmaB), 1e-12);
        }
        Assert.Equal(0, AdaptiveClipping.UpdateNoiseMultiplier(0, 0));
        Assert.Equal("countNoiseStd", Assert.Throws<ArgumentOutOfRangeException>(() => AdaptiveClipping.UpdateNoiseMultiplier(1, 0.5)).ParamName);
        Assert.Equal(5, AdaptiveClipping.DefaultCountNoiseStd(100, 1)); // m/20
        Assert.Equal(1.2, AdaptiveClipping.DefaultCountNoiseStd(10, 1.2)); // raised to z
    }

    [Fact]
    public void The_clip_norm_moves_geometrically_against_the_excess_fraction()
    {
        Assert.Equal(2.0, AdaptiveClipping.NextClipNorm(2.0, 0.5, 0.5, 0.2));
        Assert.Equal(2.0 * Math.Exp(-0.2 * 0.5), AdaptiveClipping.NextClipNorm(2.0, 1.0, 0.5, 0.2), 1e-15); // everyone under C: shrink
        Assert.Equal(2.0 * Math.Exp(0.2 * 0.5), AdaptiveClipping.NextClipNorm(2.0, 0.0, 0.5, 0.2), 1e-15); // nobody under C: grow
    }
}
