using FlMicroservices.Cli.Bench;

namespace FlMicroservices.Cli.Tests.Bench;

public class SecAggBenchmarkTests
{
    [Theory]
    [InlineData(true, 0.0)]
    [InlineData(true, 0.1)]
    [InlineData(false, 0.1)]
    public void The_benchmark_reports_positive_ratios_and_a_correct_sum(bool plus, double dropout)
    {
        var result = SecAggBenchmark.Run(clients: 10, parameters: 10_000, plus, dropout, seed: 1);

        Assert.Equal(10, result.Clients);
        Assert.Equal(plus, result.Plus);
        Assert.Equal(10 - (int)Math.Round(10 * dropout), result.Included);
        Assert.Equal(4 * 10_000 + 9, result.PlainBytesSentPerClient);
        Assert.True(result.BytesSentRatio > 1);
        Assert.True(result.SecureBytesSentPerClient > result.PlainBytesSentPerClient);
        Assert.True(result.SecureBytesReceivedPerClient > 0);
        Assert.True(result.ClientTimeRatio > 0 && double.IsFinite(result.ClientTimeRatio));
        Assert.True(result.ServerTimeRatio > 0 && double.IsFinite(result.ServerTimeRatio));
        Assert.True(result.MaxAbsoluteError <= result.ErrorBound * (1 + 1e-6));
    }
}
