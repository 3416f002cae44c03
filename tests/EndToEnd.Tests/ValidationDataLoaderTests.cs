using System.Buffers.Binary;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Data;
using FlMicroservices.ModelRegistry;
using FlMicroservices.ModelRegistry.Validation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlMicroservices.EndToEnd.Tests;

public sealed class ValidationDataLoaderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-validation-" + Guid.NewGuid().ToString("N")[..12]);

    private static readonly TaskSpec SyntheticTask = new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = 1,
        Training = new TrainingConfig(1, 10, 0.05),
        Validation = new ValidationData { Kind = ValidationDataKind.Synthetic, Seed = 4, Devices = 6 },
    };

    public ValidationDataLoaderTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private ValidationDataLoader Loader(string? root = "") =>
        new(Options.Create(new ValidationDataOptions { DataRoot = root == "" ? _root : root }));

    private ValidationSets Sets(ValidationDataLoader loader, InMemoryDataset? registered = null) =>
        new(loader, new FixedValidationSets(new Dictionary<string, InMemoryDataset>(), registered), NullLogger<ValidationSets>.Instance);

    [Fact]
    public void Synthetic_validation_data_is_the_generators_pooled_test_split_and_is_loaded_once()
    {
        var loader = Loader(root: null);
        var expected = SyntheticFedProx.Generate(1, 1, false, 4, devices: 6).PooledTest;

        var first = loader.Load(SyntheticTask.Validation!, SyntheticTask);
        var second = loader.Load(SyntheticTask.Validation! with { }, SyntheticTask);

        Assert.Equal(expected.Count, first.Count);
        Assert.Equal(expected.Labels, first.Labels);
        Assert.Equal(expected.ToFloats(), first.ToFloats());
        Assert.Same(first, second);
        Assert.Equal(25, loader.Load(SyntheticTask.Validation! with { Samples = 25 }, SyntheticTask).Count);
    }

    [Fact]
    public void An_operators_idx_pair_under_the_data_root_is_read_and_normalised_like_MNIST()
    {
        Directory.CreateDirectory(Path.Combine(_root, "ops"));
        WriteIdx(Path.Combine(_root, "ops", "images"), 0x803, [3, 2, 2], [0, 255, 0, 255, 10, 20, 30, 40, 255, 255, 255, 255]);
        WriteIdx(Path.Combine(_root, "ops", "labels"), 0x801, [3], [2, 0, 1]);
        var task = SyntheticTask with { SampleShape = [1, 2, 2], ClassCount = 3, Validation = new ValidationData { Kind = ValidationDataKind.Idx, Path = "ops/images", LabelsPath = "ops/labels" } };

        var data = Loader().Load(task.Validation!, task);

        Assert.Equal(3, data.Count);
        Assert.Equal([1, 2, 2], data.Shape);
        Assert.Equal([2, 0, 1], data.Labels);
        Assert.Equal((1f - 0.1307f) / 0.3081f, data.ToFloats()[1], 5);
    }

    [MnistFact]
    public void The_MNIST_test_set_is_read_from_a_folder_under_the_data_root()
    {
        var folder = new DirectoryInfo(RepositoryPaths.MnistDir);
        var task = SyntheticTask with { ModelName = "mlp", SampleShape = [1, 28, 28], Validation = new ValidationData { Kind = ValidationDataKind.Mnist, Path = folder.Name } };

        var data = Loader(folder.Parent!.FullName).Load(task.Validation!, task);

        Assert.Equal(10_000, data.Count);
        Assert.Equal([1, 28, 28], data.Shape);
        Assert.Equal(7, data.Labels[0]); // the first t10k label
    }

    [Fact]
    public void A_missing_or_corrupt_file_makes_the_round_report_why_naming_the_file()
    {
        Directory.CreateDirectory(Path.Combine(_root, "bad"));
        File.WriteAllBytes(Path.Combine(_root, "bad", "t10k-images-idx3-ubyte"), [0, 0, 8, 3, 0, 0, 0, 9]);
        WriteIdx(Path.Combine(_root, "bad", "t10k-labels-idx1-ubyte"), 0x801, [1], [3]);
        var mnist = SyntheticTask with { SampleShape = [1, 28, 28], Validation = new ValidationData { Kind = ValidationDataKind.Mnist, Path = "bad" } };
        var sets = Sets(Loader());

        var corrupt = sets.For("t", mnist);
        var missing = sets.For("t", mnist with { Validation = mnist.Validation! with { Path = "absent" } });

        Assert.Null(corrupt.Data);
        Assert.Equal($"validation data could not be loaded: {Path.Combine(_root, "bad", "t10k-images-idx3-ubyte")}: truncated: an IDX image header is 16 bytes but the file holds only 8", corrupt.Reason);
        Assert.Equal($"validation data could not be loaded: {Path.Combine(_root, "absent")}: MNIST directory not found", missing.Reason);
    }

    [Fact]
    public void Files_are_read_only_under_a_configured_root()
    {
        var task = SyntheticTask with { SampleShape = [1, 28, 28], Validation = new ValidationData { Kind = ValidationDataKind.Mnist, Path = "../elsewhere" } };

        Assert.Equal("validation data could not be loaded: Validation.Path '../elsewhere' lies outside the validation data root", Sets(Loader()).For("t", task).Reason);
        Assert.Equal("validation data could not be loaded: Validation.Path 'mnist' cannot be read: the model registry has no Validation:DataRoot configured",
            Sets(Loader(root: null)).For("t", task with { Validation = task.Validation! with { Path = "mnist" } }).Reason);
    }

    [Fact]
    public void Data_that_does_not_fit_the_tasks_model_is_reported_not_evaluated()
    {
        var reason = Sets(Loader()).For("t", SyntheticTask with { SampleShape = [1, 28, 28] }).Reason;

        Assert.Equal("validation data could not be loaded: Synthetic(1,1) (seed 4, 6 devices) has samples of shape [60], the task's SampleShape is [1,28,28]", reason);
    }

    [Fact]
    public void Without_named_data_a_set_registered_in_code_is_used_else_the_reason_says_none_was_named()
    {
        var registered = SyntheticFedProx.Generate(1, 1, false, 1, devices: 2).PooledTest;

        Assert.Same(registered, Sets(Loader(), registered).For("t", SyntheticTask with { Validation = null }).Data);
        Assert.Equal(ValidationSets.NoneNamed, Sets(Loader()).For("t", SyntheticTask with { Validation = null }).Reason);
    }

    private static void WriteIdx(string path, int magic, int[] dimensions, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (var i = 0; i < dimensions.Length; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dimensions[i]);
        payload.CopyTo(bytes, 4 + 4 * dimensions.Length);
        File.WriteAllBytes(path, bytes);
    }
}
