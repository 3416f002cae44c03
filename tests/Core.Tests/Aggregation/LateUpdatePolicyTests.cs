using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Async;

namespace FlMicroservices.Core.Tests.Aggregation;

public class LateUpdatePolicyTests
{
    [Fact]
    public void A_folded_update_is_discounted_by_fedbuffs_default_staleness_factor_for_one_round()
    {
        Assert.Equal(new PolynomialStaleness().Weight(1), LateUpdatePolicy.Weighting.Weight(LateUpdatePolicy.FoldStaleness));
        Assert.Equal(1 / Math.Sqrt(2), LateUpdatePolicy.Weighting.Weight(LateUpdatePolicy.FoldStaleness), 15);
    }

    [Theory]
    [InlineData(100, 71)] // 70.71
    [InlineData(4, 3)] // 2.83
    [InlineData(3, 2)] // 2.12
    [InlineData(2, 1)] // 1.41
    [InlineData(1, 1)] // 0.71 rounds up to 1
    [InlineData(600, 424)] // 424.26
    public void The_folded_weight_is_the_examples_times_the_factor_rounded_to_a_whole_number(int examples, int weight) =>
        Assert.Equal(weight, LateUpdatePolicy.FoldedWeight(examples));

    [Fact]
    public void The_folded_weight_is_at_least_one_and_a_count_below_one_is_refused()
    {
        Assert.All(Enumerable.Range(1, 50), n => Assert.InRange(LateUpdatePolicy.FoldedWeight(n), 1, n));
        Assert.Throws<ArgumentOutOfRangeException>(() => LateUpdatePolicy.FoldedWeight(0));
    }

    [Fact]
    public void Fold_is_refused_where_a_late_update_cannot_be_sound_and_drop_never_is()
    {
        Assert.Empty(LateUpdatePolicy.Problems(LateUpdatePolicy.Fold, "fedavg", poissonSampling: false, centralDp: false, secureAggregation: false));
        Assert.Empty(LateUpdatePolicy.Problems(LateUpdatePolicy.Drop, "krum", poissonSampling: true, centralDp: true, secureAggregation: true));

        var problems = LateUpdatePolicy.Problems(LateUpdatePolicy.Fold, "median", poissonSampling: true, centralDp: true, secureAggregation: true);

        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.Contains("Poisson sampling", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("central DP", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("secure aggregation", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("robust strategy 'median'", StringComparison.Ordinal));
        Assert.Contains(LateUpdatePolicy.Problems(LateUpdatePolicy.Fold, "scaffold", false, false, false), p => p.Contains("SCAFFOLD", StringComparison.Ordinal));
    }
}
