namespace FlMicroservices.Training.Tests;

/// <summary>A fact that needs the real MNIST files; it is skipped, saying what is missing, when they are not there.</summary>
public sealed class MnistFactAttribute : FactAttribute
{
    public MnistFactAttribute()
    {
        if (RepositoryPaths.Root is null)
            Skip = $"No FlMicroservices.sln above {AppContext.BaseDirectory}, so ../shared/data/mnist cannot be located.";
        else if (!Directory.Exists(RepositoryPaths.MnistDirectory))
            Skip = $"MNIST is missing: {RepositoryPaths.MnistDirectory} does not exist (it should hold train-/t10k- images and labels IDX files, raw or .gz).";
    }
}
