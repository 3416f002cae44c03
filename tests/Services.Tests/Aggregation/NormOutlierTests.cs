using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>Norm-outlier validation: an update far larger than the previous round's typical one is rejected, with its reason.</summary>
public sealed class NormOutlierTests
{
    private const int Parameters = 300;
    private const int SliceElements = 100;

    [Theory]
    [InlineData(1)] // each slice folded on arrival: the update is rejected before its offending slice is folded
    [InlineData(8)] // grouped: the slices wait for their group, the norm is checked as it is folded and the offending slice taken back
    [InlineData(2)] // groups fill while the update is still arriving
    public void An_update_above_k_times_the_previous_median_norm_is_rejected_and_leaves_no_trace(int groupSize)
    {
        var started = Started(new() { [NormOutlierRule.Parameter] = "5" }, "honest-1", "honest-2", "scaled");
        var limit = RoundAggregation.NormLimitFor(started, [1.0, 2.0, 100.0]); // median 2 -> limit 10
        Assert.Equal(10.0, limit);
        var round = new RoundAggregation(started, Parameters, new FedAvg(), limit, groupSize: groupSize);

        var honest = Update(norm: 3.0);
        var scaled = Update(norm: 30.0); // each slice has norm 30/sqrt(3) = 17.3 > 10: the first slice already crosses the limit
        Submit(round, "honest-1", honest);
        Submit(round, "honest-2", honest);
        var outcomes = Submit(round, "scaled", scaled);

        if (groupSize == 1) Assert.All(outcomes, o => Assert.Equal(SliceOutcome.Rejected, o));
        else Assert.Equal(SliceOutcome.Folded, outcomes[0]); // accepted to wait for its group
        var result = new float[Parameters];
        var outcome = round.Close(new float[Parameters], result);
        Assert.True(outcome.Succeeded);
        var rejected = Assert.Single(outcome.Rejected);
        Assert.Equal("scaled", rejected.ClientId);
        Assert.Contains(NormOutlierRule.Parameter, rejected.Reason);
        Assert.DoesNotContain("stay folded", rejected.Reason);
        Assert.Equal(honest, result); // the mean of the two honest (identical) updates
    }

    [Fact]
    public void Without_a_previous_round_or_with_factor_0_nothing_is_limited()
    {
        Assert.Null(RoundAggregation.NormLimitFor(Started(new() { [NormOutlierRule.Parameter] = "5" }, "a"), null));
        Assert.Null(RoundAggregation.NormLimitFor(Started(new() { [NormOutlierRule.Parameter] = "0" }, "a"), [1.0]));
        Assert.Null(RoundAggregation.NormLimitFor(Started([], "a"), [1.0]));
        Assert.Equal(3.75, NormOutlierRule.Limit(1.5, [1.0, 3.0, 5.0, 2.0])); // even count: median (2 + 3) / 2 = 2.5, times 1.5
    }

    [Theory]
    [InlineData("0.5")]
    [InlineData("-1")]
    [InlineData("NaN")]
    [InlineData("ten")]
    public void A_bad_factor_is_refused_naming_the_parameter(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => StrategyCatalog.Create("fedavg", new Dictionary<string, string> { [NormOutlierRule.Parameter] = value }));
        Assert.Contains(NormOutlierRule.Parameter, error.Message);
    }

    private static float[] Update(double norm)
    {
        var value = (float)(norm / Math.Sqrt(Parameters));
        return Enumerable.Repeat(value, Parameters).ToArray();
    }

    private static List<SliceOutcome> Submit(RoundAggregation round, string client, float[] update)
    {
        var slices = UpdateSliceCodec.Slice("task", 2, client, update, 10, SliceElements).ToList();
        var outcomes = slices.Select(s => round.Fold(s)).ToList();
        round.AcceptManifest(new UpdateSubmitted("task", 2, client, 10, slices.Count, Parameters, UpdateDigest.Of(slices), null, new LocalMetrics(0, 0, 0)));
        return outcomes;
    }

    private static RoundStarted Started(Dictionary<string, string> parameters, params string[] participants) =>
        new("task", 2, 1, participants, DateTimeOffset.UtcNow.AddMinutes(5), new TrainingConfig(1, 10, 0.1), PrivacyConfig.None,
            SliceElements, "logreg", "fedavg", parameters, 0.5, 1);
}
