using FlMicroservices.Core.Data;

namespace FlMicroservices.Training;

/// <summary>Loads MNIST (or a drop-in such as Fashion-MNIST) from the four IDX files of its distribution.</summary>
/// <remarks>
/// Pixels are scaled to [0, 1] and then standardised with MNIST's training-set mean and standard deviation,
/// the usual preprocessing for the models of McMahan et al.; samples have shape [1, 28, 28] and 10 classes. Data sets
/// keep the pixels' bytes with the table of their preprocessed floats (<see cref="InMemoryDataset.FromCodes"/>): the same
/// floats for a quarter of the memory.
/// </remarks>
public static class MnistLoader
{
    public const int ClassCount = 10;
    public const int ImageSide = 28;
    public const float Mean = 0.1307f;
    public const float StandardDeviation = 0.3081f;

    /// <summary>Each byte value's normalised float, computed once instead of 55 million times.</summary>
    private static readonly float[] PixelValues = Enumerable.Range(0, 256).Select(p => (p / 255f - Mean) / StandardDeviation).ToArray();

    /// <summary>Reads train-*-ubyte and t10k-*-ubyte, each raw or with a .gz suffix, from <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A missing directory or file, or a file that is not what MNIST's should be; the message names it.</exception>
    public static (InMemoryDataset Train, InMemoryDataset Test) Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
            throw new InvalidDataException($"{directory}: MNIST directory not found");
        var train = LoadPair(directory, "train");
        var test = LoadPair(directory, "t10k");
        return (train, test);
    }

    /// <summary>Reads only the test set (t10k-*-ubyte, raw or .gz) from <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A missing directory or file, or a bad file; the message names it.</exception>
    public static InMemoryDataset LoadTest(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory))
            throw new InvalidDataException($"{directory}: MNIST directory not found");
        return LoadPair(directory, "t10k");
    }

    /// <summary>Reads an IDX image file and its label file, preprocessed as MNIST is: samples of shape [1, rows, columns].</summary>
    /// <param name="imageSide">The required width and height, or null to accept any.</param>
    /// <exception cref="InvalidDataException">A missing or bad file, counts that disagree, a label outside [0, classCount); the message names the file.</exception>
    public static InMemoryDataset LoadIdxPair(string imagesPath, string labelsPath, int classCount, int? imageSide = null)
    {
        var (images, labels) = ReadIdxPair(imagesPath, labelsPath, classCount, imageSide);
        return InMemoryDataset.FromCodes(images.Pixels, PixelValues, labels, [1, images.Rows, images.Columns], classCount);
    }

    /// <summary>
    /// Reads MNIST with its training set cut into the parts <paramref name="split"/> chooses from the labels (row numbers per
    /// part): each part's rows are copied straight from the file's bytes, so the whole training set is never held twice.
    /// </summary>
    /// <param name="trainSamples">Only the first this many training samples (0: all).</param>
    /// <returns>The same data sets as <see cref="Load"/>, <see cref="InMemoryDataset.Take"/> and <see cref="InMemoryDataset.Subset"/> would give.</returns>
    /// <exception cref="InvalidDataException">A missing directory or file, or a bad file; the message names it.</exception>
    public static (InMemoryDataset[] Parts, InMemoryDataset Test) LoadSplit(string directory, int trainSamples, Func<int[], int[][]> split)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(split);
        if (!Directory.Exists(directory))
            throw new InvalidDataException($"{directory}: MNIST directory not found");
        var (images, labels) = ReadIdxPair(Find(directory, "train-images-idx3-ubyte"), Find(directory, "train-labels-idx1-ubyte"), ClassCount, ImageSide);
        if (trainSamples > 0 && trainSamples < labels.Length) labels = labels[..trainSamples];
        var width = images.Rows * images.Columns;
        var parts = split(labels).Select(rows =>
        {
            var codes = new byte[(long)rows.Length * width];
            var partLabels = new int[rows.Length];
            for (var k = 0; k < rows.Length; k++)
            {
                var i = rows[k];
                if ((uint)i >= (uint)labels.Length) throw new ArgumentOutOfRangeException(nameof(split), i, $"Row index outside [0, {labels.Length}).");
                images.Pixels.AsSpan(i * width, width).CopyTo(codes.AsSpan(k * width, width));
                partLabels[k] = labels[i];
            }
            return InMemoryDataset.FromCodes(codes, PixelValues, partLabels, [1, images.Rows, images.Columns], ClassCount);
        }).ToArray();
        return (parts, LoadPair(directory, "t10k"));
    }

    // An IDX image file and its label file, checked against each other: the raw pixels and the labels.
    private static (IdxImages Images, int[] Labels) ReadIdxPair(string imagesPath, string labelsPath, int classCount, int? imageSide)
    {
        var images = IdxReader.ReadImages(imagesPath);
        if (imageSide is { } side && (images.Rows != side || images.Columns != side))
            throw IdxReader.Invalid(imagesPath, $"images are {images.Rows}x{images.Columns}, expected {side}x{side}");
        var raw = IdxReader.ReadLabels(labelsPath);
        if (raw.Length != images.Count)
            throw IdxReader.Invalid(labelsPath, $"{raw.Length} labels but {imagesPath} holds {images.Count} images");

        var labels = new int[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] >= classCount)
                throw IdxReader.Invalid(labelsPath, $"label {raw[i]} at index {i} is outside [0, {classCount})");
            labels[i] = raw[i];
        }
        return (images, labels);
    }

    private static InMemoryDataset LoadPair(string directory, string prefix) =>
        LoadIdxPair(Find(directory, $"{prefix}-images-idx3-ubyte"), Find(directory, $"{prefix}-labels-idx1-ubyte"), ClassCount, ImageSide);

    /// <summary>The raw file if present, else its .gz; when neither exists, an error naming both.</summary>
    private static string Find(string directory, string name)
    {
        var raw = Path.Combine(directory, name);
        if (File.Exists(raw)) return raw;
        var gz = raw + ".gz";
        if (File.Exists(gz)) return gz;
        throw new InvalidDataException($"{raw}[.gz]: file not found (neither {name} nor {name}.gz is in {directory})");
    }
}
