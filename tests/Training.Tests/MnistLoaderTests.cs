using FlMicroservices.Testing;

namespace FlMicroservices.Training.Tests;

public sealed class MnistLoaderTests : IDisposable
{
    private const int Pixels = 28 * 28;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteImages(string prefix, int count, int side = 28, bool gzip = true, Func<int, byte>? pixel = null)
    {
        var pixels = Enumerable.Range(0, count * side * side).Select(pixel ?? (i => (byte)(i % 256))).ToArray();
        return IdxFiles.Write(_dir.Path, $"{prefix}-images-idx3-ubyte" + (gzip ? ".gz" : ""), IdxFiles.Images(count, side, side, pixels), gzip);
    }

    private string WriteLabels(string prefix, byte[] labels, bool gzip = true) =>
        IdxFiles.Write(_dir.Path, $"{prefix}-labels-idx1-ubyte" + (gzip ? ".gz" : ""), IdxFiles.Labels(labels), gzip);

    [Fact]
    public void LoadsRawAndGzipFilesWithMnistShapeAndNormalisation()
    {
        WriteImages("train", 3, gzip: true, pixel: i => i < Pixels ? (byte)0 : (byte)255);
        WriteLabels("train", [5, 0, 9], gzip: false);
        WriteImages("t10k", 2, gzip: false);
        WriteLabels("t10k", [7, 2], gzip: true);

        var (train, test) = MnistLoader.Load(_dir.Path);

        Assert.Equal((3, 2), (train.Count, test.Count));
        Assert.Equal([1, 28, 28], train.Shape);
        Assert.Equal(10, train.ClassCount);
        Assert.Equal([5, 0, 9], train.Labels);
        Assert.Equal([7, 2], test.Labels);
        Assert.Equal((0f - 0.1307f) / 0.3081f, train.ToFloats()[0], 6);
        Assert.Equal((1f - 0.1307f) / 0.3081f, train.ToFloats()[Pixels], 6);
        Assert.Equal((17 / 255f - 0.1307f) / 0.3081f, test.ToFloats()[17], 6);
    }

    [Fact]
    public void LoadSplitGivesTheSubsetsOfTheLoadedSetWithoutLoadingItWhole()
    {
        WriteImages("train", 5, pixel: i => (byte)(i * 7 % 251));
        WriteLabels("train", [3, 1, 4, 1, 5]);
        WriteImages("t10k", 2);
        WriteLabels("t10k", [7, 2]);
        var (train, test) = MnistLoader.Load(_dir.Path);
        int[][] parts = [[3, 0], [2], []];

        int[]? seen = null;
        var (split, splitTest) = MnistLoader.LoadSplit(_dir.Path, 4, labels => { seen = labels; return parts; });

        Assert.Equal([3, 1, 4, 1], seen!); // only the first 4 samples
        Assert.Equal(3, split.Length);
        for (var k = 0; k < parts.Length; k++)
        {
            var expected = train.Take(4).Subset(parts[k]);
            Assert.Equal(expected.ToFloats(), split[k].ToFloats());
            Assert.Equal(expected.Labels, split[k].Labels);
            Assert.Equal(expected.Shape, split[k].Shape);
        }
        Assert.Equal(test.ToFloats(), splitTest.ToFloats());
        Assert.Throws<ArgumentOutOfRangeException>(() => MnistLoader.LoadSplit(_dir.Path, 4, _ => [[4]])); // row 4 is past the first 4
    }

    [Fact]
    public void LabelCountDifferentFromImageCountNamesBothFiles()
    {
        var images = WriteImages("train", 3);
        var labels = WriteLabels("train", [1, 2]);
        WriteImages("t10k", 1);
        WriteLabels("t10k", [1]);

        var e = Assert.Throws<InvalidDataException>(() => MnistLoader.Load(_dir.Path));

        Assert.Equal($"{labels}: 2 labels but {images} holds 3 images", e.Message);
    }

    [Fact]
    public void LabelOfTenOrMoreIsRejectedWithItsIndex()
    {
        WriteImages("train", 3);
        var labels = WriteLabels("train", [1, 12, 3]);
        WriteImages("t10k", 1);
        WriteLabels("t10k", [1]);

        var e = Assert.Throws<InvalidDataException>(() => MnistLoader.Load(_dir.Path));

        Assert.Equal($"{labels}: label 12 at index 1 is outside [0, 10)", e.Message);
    }

    [Fact]
    public void ImagesThatAreNot28By28AreRejected()
    {
        var images = WriteImages("train", 2, side: 14);
        WriteLabels("train", [1, 2]);
        WriteImages("t10k", 1);
        WriteLabels("t10k", [1]);

        var e = Assert.Throws<InvalidDataException>(() => MnistLoader.Load(_dir.Path));

        Assert.Equal($"{images}: images are 14x14, expected 28x28", e.Message);
    }

    [Fact]
    public void MissingFileIsNamedWithBothAcceptedSpellings()
    {
        WriteImages("train", 1);
        WriteLabels("train", [1]);
        WriteImages("t10k", 1);
        var expected = Path.Combine(_dir.Path, "t10k-labels-idx1-ubyte");

        var e = Assert.Throws<InvalidDataException>(() => MnistLoader.Load(_dir.Path));

        Assert.StartsWith($"{expected}[.gz]: file not found", e.Message);
    }

    [Fact]
    public void MissingDirectoryIsInvalidDataNamingIt()
    {
        var missing = Path.Combine(_dir.Path, "no-such-folder");

        var e = Assert.Throws<InvalidDataException>(() => MnistLoader.Load(missing));

        Assert.Equal($"{missing}: MNIST directory not found", e.Message);
    }

    [MnistFact]
    public void RealMnistHasSixtyThousandTrainingAndTenThousandTestImages()
    {
        var (train, test) = MnistLoader.Load(RepositoryPaths.MnistDirectory!);

        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal(5, train.Labels[0]);
        Assert.Equal(7, test.Labels[0]);
        // The normalisation constants are MNIST's training statistics, so the result is standardised.
        var features = train.ToFloats();
        var mean = features.Average(f => (double)f);
        var std = Math.Sqrt(features.Average(f => (f - mean) * (f - mean)));
        Assert.InRange(mean, -0.001, 0.001);
        Assert.InRange(std, 0.999, 1.001);
    }
}
