namespace FlMicroservices.EndToEnd.Tests;

/// <summary>Finds the repository root and the shared data folder that sits beside the checkout.</summary>
public static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("FlMicroservices.sln not found above " + AppContext.BaseDirectory);
        }
    }

    public static string MnistDir => Environment.GetEnvironmentVariable("FL_MNIST_DIR") ?? Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", "mnist"));
}

/// <summary>A fact that needs the MNIST IDX files; skipped, saying what is missing, where they are absent.</summary>
public sealed class MnistFactAttribute : FactAttribute
{
    public MnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(RepositoryPaths.MnistDir, "train-images-idx3-ubyte.gz")) &&
            !File.Exists(Path.Combine(RepositoryPaths.MnistDir, "train-images-idx3-ubyte")))
            Skip = $"MNIST IDX files are missing from {RepositoryPaths.MnistDir} (set FL_MNIST_DIR to a folder holding them)";
    }
}
