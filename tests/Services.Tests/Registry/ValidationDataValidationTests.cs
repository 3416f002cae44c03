using FlMicroservices.Contracts.V1;
using FlMicroservices.Registry;

namespace FlMicroservices.Services.Tests.Registry;

public class ValidationDataValidationTests
{
    private static readonly TaskSpec Synthetic = new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = 3,
        Training = new TrainingConfig(1, 10, 0.05),
        Validation = new ValidationData { Kind = ValidationDataKind.Synthetic, Seed = 1 },
    };

    private static readonly TaskSpec Mnist = Synthetic with
    {
        ModelName = "mlp",
        SampleShape = [1, 28, 28],
        Validation = new ValidationData { Kind = ValidationDataKind.Mnist, Path = "mnist" },
    };

    private static string SingleProblem(TaskSpec spec) => Assert.Single(TaskSpecValidator.Validate("t-1", spec));

    [Fact]
    public void Valid_validation_data_of_each_kind_has_no_problems()
    {
        Assert.Empty(TaskSpecValidator.Validate("t-1", Synthetic));
        Assert.Empty(TaskSpecValidator.Validate("t-1", Mnist));
        Assert.Empty(TaskSpecValidator.Validate("t-1", Mnist with { Validation = new ValidationData { Kind = ValidationDataKind.Idx, Path = "ops/images.idx", LabelsPath = "ops/labels.idx", Samples = 100 } }));
        Assert.Empty(TaskSpecValidator.Validate("t-1", Synthetic with { Validation = null, Dataset = "synthetic" }));
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../outside")]
    [InlineData("data/../../outside")]
    [InlineData("C:\\data")]
    public void A_path_that_could_leave_the_data_root_is_refused_by_name(string path)
    {
        var problem = SingleProblem(Mnist with { Validation = Mnist.Validation! with { Path = path } });

        Assert.StartsWith($"Validation.Path '{path}' must be relative", problem);
    }

    [Fact]
    public void Each_bad_field_is_named()
    {
        Assert.Equal("Validation.Path is required (a path under the model registry's Validation:DataRoot)",
            SingleProblem(Mnist with { Validation = Mnist.Validation! with { Path = null } }));
        Assert.Equal("Validation.LabelsPath is required (a path under the model registry's Validation:DataRoot)",
            SingleProblem(Mnist with { Validation = new ValidationData { Kind = ValidationDataKind.Idx, Path = "images" } }));
        Assert.Equal("Validation.Samples -1 must be zero (all) or positive", SingleProblem(Synthetic with { Validation = Synthetic.Validation! with { Samples = -1 } }));
        Assert.Equal("Validation.Alpha NaN must be a finite number >= 0", SingleProblem(Synthetic with { Validation = Synthetic.Validation! with { Alpha = double.NaN } }));
        Assert.Equal("Validation.Beta -1 must be a finite number >= 0", SingleProblem(Synthetic with { Validation = Synthetic.Validation! with { Beta = -1 } }));
        Assert.Equal("Validation.Devices 0 must be in [1, 10000]", SingleProblem(Synthetic with { Validation = Synthetic.Validation! with { Devices = 0 } }));
        Assert.Equal("Validation.Kind 7 is unknown (Synthetic, Mnist, Idx)", SingleProblem(Synthetic with { Validation = Synthetic.Validation! with { Kind = (ValidationDataKind)7 } }));
        Assert.Equal("Dataset 'no spaces' is not valid: " + Contracts.Identifiers.Rule, SingleProblem(Synthetic with { Dataset = "no spaces" }));
    }

    [Fact]
    public void Validation_data_whose_samples_do_not_fit_the_model_is_refused_naming_both()
    {
        Assert.Equal("Validation.Kind Mnist has samples of 784 features but SampleShape has 60",
            SingleProblem(Mnist with { ModelName = "logreg", SampleShape = [60] }));
        Assert.Equal("Validation.Kind Synthetic has 10 classes but ClassCount is 3", SingleProblem(Synthetic with { ClassCount = 3 }));
    }
}
