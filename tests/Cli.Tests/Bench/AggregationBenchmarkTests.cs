using FlMicroservices.Cli.Bench;

namespace FlMicroservices.Cli.Tests.Bench;

public class AggregationBenchmarkTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_benchmark_runs_the_service_round_to_the_exact_mean_and_counts_its_accumulators(bool firstRound)
    {
        var parameters = 3 * AggregationBenchmark.SliceElements + 500;

        var result = AggregationBenchmark.Run(clients: 20, parameters, group: 8, seed: 1, firstRound, rounds: 3);

        Assert.Equal(firstRound ? "first" : "later", result.Round);
        Assert.True(result.Identical);
        Assert.Equal(parameters * 4L, result.ModelBytes);
        // The exact accumulators alone are two models' bytes, whether taken from the pool or allocated.
        Assert.True(result.PeakToModel >= 2, $"peak {result.PeakBytes} bytes is below the accumulators' {2 * result.ModelBytes}");
        Assert.True(result.Ratio > 0 && double.IsFinite(result.Ratio));
        Assert.True(result.BaselineGbps >= Math.Min(result.IntegerReadGbps, result.FloatReadGbps));
        // Three rounds, each with its own ratio; the one printed is their median.
        Assert.Equal(3, result.Rounds);
        Assert.Equal(3, result.RoundRatios.Length);
        Assert.Equal(result.RoundRatios.Order().ElementAt(1), Math.Round(result.Ratio, 3));
        Assert.True(result.RatioMin <= result.Ratio && result.Ratio <= result.RatioMax);
    }
}
