namespace FlMicroservices.Training.Tests;

/// <summary>Locations relative to the checkout, found from the test assembly's folder.</summary>
internal static class RepositoryPaths
{
    /// <summary>The folder holding FlMicroservices.sln, or null when the tests run outside a checkout.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>MNIST lives beside the checkout, not in it: ../shared/data/mnist from the repository root.</summary>
    public static string? MnistDirectory => Root is null ? null : Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", "mnist"));

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln"))) return dir.FullName;
        }
        return null;
    }
}
