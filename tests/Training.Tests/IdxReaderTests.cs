using FlMicroservices.Testing;

namespace FlMicroservices.Training.Tests;

public sealed class IdxReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ImagesAndLabelsReadBackExactly(bool gzip)
    {
        byte[] pixels = [0, 1, 2, 3, 250, 251, 252, 253, 127, 128, 129, 255];
        // The names deliberately lie about compression: the reader must go by the content.
        var images = IdxFiles.Write(_dir.Path, "images.idx", IdxFiles.Images(3, 2, 2, pixels), gzip);
        var labels = IdxFiles.Write(_dir.Path, "labels.gz", IdxFiles.Labels(9, 0, 4), gzip);

        var read = IdxReader.ReadImages(images);

        Assert.Equal((3, 2, 2), (read.Count, read.Rows, read.Columns));
        Assert.Equal(pixels, read.Pixels);
        Assert.Equal([9, 0, 4], IdxReader.ReadLabels(labels));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WrongMagicNamesTheFileAndBothNumbers(bool gzip)
    {
        var path = IdxFiles.Write(_dir.Path, "labels", IdxFiles.Labels(1, 2, 3), gzip);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: not an IDX image file: magic number 0x00000801, expected 0x00000803", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedImagesSayHowManyBytesWereExpectedAndFound(bool gzip)
    {
        var content = IdxFiles.Images(3, 2, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])[..(16 + 5)];
        var path = IdxFiles.Write(_dir.Path, "train-images-idx3-ubyte.gz", content, gzip);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: truncated: header says 3 images of 2x2 (12 bytes) but only 5 bytes follow", e.Message);
    }

    [Fact]
    public void TruncatedLabelsSayHowManyBytesWereExpectedAndFound()
    {
        var path = IdxFiles.Write(_dir.Path, "labels", IdxFiles.Labels(1, 2, 3, 4)[..10], gzip: false);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: truncated: header says 4 labels (4 bytes) but only 2 bytes follow", e.Message);
    }

    [Fact]
    public void TruncatedHeaderIsReported()
    {
        var path = IdxFiles.Write(_dir.Path, "images", IdxFiles.Header(0x803, 1, 28)[..10], gzip: false);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: truncated: an IDX image header is 16 bytes but the file holds only 10", e.Message);
    }

    [Fact]
    public void TrailingBytesAreReported()
    {
        var path = IdxFiles.Write(_dir.Path, "labels", [.. IdxFiles.Labels(1, 2), 7], gzip: true);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: header says 2 labels (2 bytes) but more bytes follow", e.Message);
    }

    [Fact]
    public void ZeroImageDimensionIsReported()
    {
        var path = IdxFiles.Write(_dir.Path, "images", IdxFiles.Images(1, 0, 28, []), gzip: false);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: dimension 1 of the header is 0", e.Message);
    }

    [Fact]
    public void CorruptGzipStreamIsInvalidDataNamingTheFile()
    {
        var gzip = IdxFiles.Gzip(IdxFiles.Labels([.. Enumerable.Range(0, 200).Select(i => (byte)(i % 10))]));
        // The first deflate block header follows the 10-byte gzip header; block type 3 does not exist.
        gzip[10] = 0x07;
        var path = Path.Combine(_dir.Path, "t10k-labels-idx1-ubyte.gz");
        File.WriteAllBytes(path, gzip);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.StartsWith($"{path}: corrupt gzip stream", e.Message);
        Assert.IsType<InvalidDataException>(e.InnerException);
    }

    [Fact]
    public void TruncatedGzipFileIsInvalidDataNamingTheFile()
    {
        var gzip = IdxFiles.Gzip(IdxFiles.Images(50, 28, 28, [.. Enumerable.Range(0, 50 * 784).Select(i => (byte)(i * 7919 % 251))]));
        var path = Path.Combine(_dir.Path, "train-images-idx3-ubyte.gz");
        File.WriteAllBytes(path, gzip[..(gzip.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.StartsWith($"{path}: ", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void HugeHeaderCountOnATinyFileIsTruncationNotAnAllocation()
    {
        var path = IdxFiles.Write(_dir.Path, "images", [.. IdxFiles.Header(0x803, 2_000_000, 28, 28), 1, 2, 3], gzip: false);

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));

        Assert.Equal($"{path}: truncated: header says 2000000 images of 28x28 (1568000000 bytes) but only 3 bytes follow", e.Message);
    }

    [Fact]
    public void MissingFileIsInvalidDataNamingTheFile()
    {
        var path = Path.Combine(_dir.Path, "absent-labels-idx1-ubyte");

        var e = Assert.Throws<InvalidDataException>(() => IdxReader.ReadLabels(path));

        Assert.Equal($"{path}: file not found", e.Message);
    }
}
