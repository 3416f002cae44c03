namespace FlMicroservices.Deployment.Tests;

/// <summary>The checkout these tests read (the folder holding FlMicroservices.sln above the test binaries).</summary>
internal static class Repository
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln"))) return dir.FullName;
            throw new InvalidOperationException($"No FlMicroservices.sln above {AppContext.BaseDirectory}.");
        }
    }
}
