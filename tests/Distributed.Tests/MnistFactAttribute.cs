namespace FlMicroservices.Distributed.Tests;

/// <summary>A fact that needs the MNIST IDX files beside the checkout (../shared/data/mnist); skipped, saying so, where they are absent.</summary>
public sealed class MnistFactAttribute : FactAttribute
{
    public static string MnistDirectory => Path.Combine(Deployment.ValidationDataRoot, "mnist");

    public MnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(MnistDirectory, "t10k-images-idx3-ubyte")) && !File.Exists(Path.Combine(MnistDirectory, "t10k-images-idx3-ubyte.gz")))
            Skip = $"MNIST IDX files are missing from {MnistDirectory}: the mixed-fleet test needs them";
    }
}
