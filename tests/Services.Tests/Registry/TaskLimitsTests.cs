using FlMicroservices.Contracts.V1;
using FlMicroservices.Registry;

namespace FlMicroservices.Services.Tests.Registry;

/// <summary>The registry refuses, naming the field, every task a service could not run or that exceeds its caps.</summary>
public sealed class TaskLimitsTests
{
    private static readonly TaskSpec Valid = new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = 5,
        Training = new TrainingConfig(1, 10, 0.05),
    };

    private static string SingleProblem(TaskSpec spec, TaskLimits? limits = null) => Assert.Single(TaskSpecValidator.Validate("t-1", spec, limits));

    [Fact]
    public void A_cnn_over_flat_synthetic_samples_is_refused_naming_the_shape_and_the_model()
    {
        var problem = SingleProblem(Valid with { ModelName = "cnn" });

        Assert.Equal("SampleShape [60] does not fit ModelName 'cnn': The cnn model needs a sample shape [channels, height, width] " +
            "(or a flat [784], read as 1x28x28); got [60]. (Parameter 'sampleShape')", problem);
        Assert.Contains("4x4; got 2x2", SingleProblem(Valid with { ModelName = "cnn", SampleShape = [1, 2, 2] }));
    }

    [Fact]
    public void A_round_timeout_over_the_cap_is_refused_naming_it()
    {
        Assert.Equal("RoundTimeout 900000000000 s is over the registry's cap of 86400 s (Registry:MaxRoundTimeout)",
            SingleProblem(Valid with { RoundTimeout = TimeSpan.FromSeconds(900_000_000_000) }));
        Assert.Empty(TaskSpecValidator.Validate("t-1", Valid with { RoundTimeout = TimeSpan.FromDays(1) }));
    }

    [Fact]
    public void Rounds_and_parameters_over_their_caps_are_refused_with_the_numbers()
    {
        Assert.Equal("Rounds 100001 is over the registry's cap of 100000 (Registry:MaxRounds)", SingleProblem(Valid with { Rounds = 100_001 }));
        // mlp over 1,000,000 inputs: 1,000,000 x 200 + 200 + 200 x 200 + 200 + 200 x 10 + 10 parameters.
        Assert.Equal("ModelName 'mlp' with SampleShape [1000000] and ClassCount 10 has 200042410 parameters, over the registry's cap of 50000000 (Registry:MaxParameters)",
            SingleProblem(Valid with { ModelName = "mlp", SampleShape = [1_000_000] }));
        // SCAFFOLD stores the control variate beside the weights: twice the logreg's 610.
        Assert.Contains("has 1220 parameters, over the registry's cap of 1000",
            SingleProblem(Valid with { Strategy = "scaffold" }, new TaskLimits { MaxParameters = 1000 }));
        Assert.Contains("has more elements than a model can take", SingleProblem(Valid with { SampleShape = [int.MaxValue, int.MaxValue, int.MaxValue] }));
    }

    [Fact]
    public void A_non_finite_rollback_threshold_is_refused()
    {
        Assert.Equal("RollbackThreshold Infinity must be a finite number, zero or positive", SingleProblem(Valid with { RollbackThreshold = double.PositiveInfinity }));
    }
}
