using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;
using FlMicroservices.Registry;

namespace FlMicroservices.Services.Tests.Registry;

public class CompressionValidationTests
{
    private static readonly TaskSpec Spec = new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = 3,
        MinClientsPerRound = 10,
        Training = new TrainingConfig(1, 10, 0.05),
        Validation = new ValidationData { Kind = ValidationDataKind.Synthetic, Seed = 1 },
    };

    [Theory]
    [InlineData("none", "fedavg")]
    [InlineData("q8", "krum")]
    [InlineData("q4+zstd", "trimmed-mean")]
    [InlineData("zstd", "median")]
    [InlineData("topk:0.01", "fedavg")]
    [InlineData("topk:0.01+zstd", "fedadam")]
    public void Compressions_that_compose_with_the_strategy_are_accepted_and_planned_once(string compression, string strategy)
    {
        var spec = Spec with { Compression = compression, Strategy = strategy };

        Assert.Empty(TaskSpecValidator.Validate("t-1", spec));
        var planned = RoundPlanner.Plan(spec, new RoundContext(1, 10, 10)).Compression;
        Assert.Equal(compression == "none" ? null : compression, planned);
    }

    [Theory]
    [InlineData("topk:0.01", "krum", "cannot be combined with strategy 'krum'")]
    [InlineData("topk:0.05+zstd", "bulyan", "cannot be combined with strategy 'bulyan'")]
    [InlineData("q3", "fedavg", "Compression 'q3' is not one of")]
    [InlineData("topk:0", "fedavg", "the top-k fraction 0 must be in (0, 1]")]
    public void Compressions_that_cannot_work_are_refused_naming_them(string compression, string strategy, string reason)
    {
        var problems = TaskSpecValidator.Validate("t-1", Spec with { Compression = compression, Strategy = strategy });

        Assert.Contains(problems, p => p.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Any_compression_with_secure_aggregation_is_refused()
    {
        var secure = Spec with
        {
            Compression = "zstd",
            Privacy = PrivacyConfig.None with { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationClip = 1 },
        };

        Assert.Contains(TaskSpecValidator.Validate("t-1", secure), p => p.StartsWith("Compression 'zstd' cannot be combined with secure aggregation (SecAgg)", StringComparison.Ordinal));
        Assert.DoesNotContain(TaskSpecValidator.Validate("t-1", secure with { Compression = "none" }), p => p.Contains("Compression", StringComparison.Ordinal));
    }
}
