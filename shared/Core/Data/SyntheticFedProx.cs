namespace FlMicroservices.Core.Data;

/// <summary>The Synthetic(alpha, beta) and Synthetic-IID federated data of Li et al. 2020 ("Federated Optimization in Heterogeneous Networks", FedProx).</summary>
/// <remarks>Design notes: docs/data.md, "Notes: SyntheticFedProx".</remarks>
public static class SyntheticFedProx
{
    public const int DefaultDevices = 30;
    public const int DefaultFeatures = 60;
    public const int DefaultClasses = 10;
    public const int MinSamplesPerDevice = 50;
    public const double TrainFraction = 0.9;

    private const double SampleCountMu = 4;
    private const double SampleCountSigma = 2;
    private const double CovarianceDecay = -1.2;

    /// <summary>Generates Synthetic(<paramref name="alpha"/>, <paramref name="beta"/>), or Synthetic-IID when <paramref name="iid"/> is set.</summary>
    public static SyntheticFederatedData Generate(
        double alpha,
        double beta,
        bool iid,
        int seed,
        int devices = DefaultDevices,
        int features = DefaultFeatures,
        int classes = DefaultClasses,
        int? maxSamplesPerDevice = null)
    {
        CheckSpreads(alpha, beta);
        if (devices < 1)
            throw new ArgumentOutOfRangeException(nameof(devices), devices, "At least one device is needed.");
        if (features < 1)
            throw new ArgumentOutOfRangeException(nameof(features), features, "Samples need at least one feature.");
        if (classes < 2)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "A classification task needs at least 2 classes.");
        if (maxSamplesPerDevice < MinSamplesPerDevice)
            throw new ArgumentOutOfRangeException(nameof(maxSamplesPerDevice), maxSamplesPerDevice,
                $"The cap must be at least {MinSamplesPerDevice}, the generator's per-device minimum.");

        var rng = new Random(seed);
        var counts = new int[devices];
        for (var k = 0; k < devices; k++)
            counts[k] = SampleCount(rng, k, features, maxSamplesPerDevice);

        var modelMeans = Normals(rng, devices, 0, alpha);
        var inputMeanCentres = Normals(rng, devices, 0, beta);
        var inputMeans = new double[devices][];
        for (var k = 0; k < devices; k++)
            inputMeans[k] = iid ? new double[features] : Normals(rng, features, inputMeanCentres[k], 1);

        var sharedWeights = iid ? Normals(rng, features * classes, 0, 1) : null;
        var sharedBias = iid ? Normals(rng, classes, 0, 1) : null;

        var inputStd = InputStd(features);

        var train = new InMemoryDataset[devices];
        var test = new InMemoryDataset[devices];
        for (var k = 0; k < devices; k++)
        {
            var weights = sharedWeights ?? Normals(rng, features * classes, modelMeans[k], 1);
            var bias = sharedBias ?? Normals(rng, classes, modelMeans[k], 1);
            (train[k], test[k]) = Split(rng, Sample(rng, counts[k], inputMeans[k], inputStd, weights, bias));
        }
        return new SyntheticFederatedData(train, test, counts);
    }

    /// <summary>Above this many devices FederatedData's synthetic data is generated per device on demand (<see cref="GenerateLazily"/>).</summary>
    public const int LazyAboveDevices = 1000;

    /// <summary>Devices whose test splits make the pooled test set of lazily generated data.</summary>
    public const int LazyTestDevices = 1000;

    /// <summary>
    /// Synthetic(<paramref name="alpha"/>, <paramref name="beta"/>) drawn device by device: device k's sample count, model and
    /// inputs come from its own random stream (seeded from <paramref name="seed"/> and k), so any device's data can be made
    /// alone, when it trains, and dropped after. Same distribution as <see cref="Generate"/>, other draws. The pooled test set
    /// is the test splits of the first <see cref="LazyTestDevices"/> devices. Design notes: docs/data.md, "Lazy data".
    /// </summary>
    public static LazySyntheticData GenerateLazily(double alpha, double beta, bool iid, int seed, int devices,
        int features = DefaultFeatures, int classes = DefaultClasses)
    {
        CheckSpreads(alpha, beta);
        ArgumentOutOfRangeException.ThrowIfLessThan(devices, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);

        var shared = new Random(seed);
        var sharedWeights = iid ? Normals(shared, features * classes, 0, 1) : null;
        var sharedBias = iid ? Normals(shared, classes, 0, 1) : null;
        var inputStd = InputStd(features);

        // A device's stream starts with its sample count, so the counts (all a registration needs) cost one draw each.
        var train = new ClientData[devices];
        for (var k = 0; k < devices; k++)
        {
            var device = k;
            var count = SampleCount(new Random(DeviceSeed(seed, device)), device, features, null);
            train[k] = new ClientData((int)(TrainFraction * count), [features], classes, () => Device(device).Train);
        }
        var test = new InMemoryDataset[Math.Min(devices, LazyTestDevices)];
        for (var k = 0; k < test.Length; k++)
            test[k] = Device(k).Test;
        return new LazySyntheticData(train, InMemoryDataset.Concat(test));

        (InMemoryDataset Train, InMemoryDataset Test) Device(int k)
        {
            var rng = new Random(DeviceSeed(seed, k));
            var count = SampleCount(rng, k, features, null);
            var modelMean = rng.NextNormal(0, alpha);
            var inputMean = iid ? new double[features] : Normals(rng, features, rng.NextNormal(0, beta), 1);
            var weights = sharedWeights ?? Normals(rng, features * classes, modelMean, 1);
            var bias = sharedBias ?? Normals(rng, classes, modelMean, 1);
            return Split(rng, Sample(rng, count, inputMean, inputStd, weights, bias));
        }
    }

    private static void CheckSpreads(double alpha, double beta)
    {
        if (!double.IsFinite(alpha) || alpha < 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha (the spread of the devices' model means) must be a finite number >= 0.");
        if (!double.IsFinite(beta) || beta < 0)
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta (the spread of the devices' input means) must be a finite number >= 0.");
    }

    private static double[] InputStd(int features)
    {
        var std = new double[features];
        for (var j = 0; j < features; j++)
            std[j] = Math.Sqrt(Math.Pow(j + 1, CovarianceDecay));
        return std;
    }

    // The device's samples shuffled; the first floor(0.9 n) train, the rest test.
    private static (InMemoryDataset Train, InMemoryDataset Test) Split(Random rng, InMemoryDataset device)
    {
        var order = new int[device.Count];
        for (var i = 0; i < order.Length; i++)
            order[i] = i;
        rng.Shuffle(order);
        var trainCount = (int)(TrainFraction * device.Count);
        return (device.Subset(order[..trainCount]), device.Subset(order[trainCount..]));
    }

    // SplitMix64's finaliser over (seed, device): neighbouring devices get unrelated streams.
    private static int DeviceSeed(int seed, int device)
    {
        var z = ((ulong)(uint)seed << 32 | (uint)device) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & int.MaxValue);
    }

    private static int SampleCount(Random rng, int device, int features, int? cap)
    {
        // Clamping before the cast keeps an extreme tail draw from wrapping around int.
        var draw = Math.Min(rng.NextLogNormal(SampleCountMu, SampleCountSigma), int.MaxValue - MinSamplesPerDevice);
        var count = (int)draw + MinSamplesPerDevice;
        if (cap is int max)
            count = Math.Min(count, max);
        if ((long)count * features > Array.MaxLength)
            throw new InvalidOperationException(
                $"Device {device} drew {count} samples of {features} features, more than one array can hold; pass maxSamplesPerDevice to cap it.");
        return count;
    }

    private static double[] Normals(Random rng, int count, double mean, double std)
    {
        var values = new double[count];
        for (var i = 0; i < count; i++)
            values[i] = rng.NextNormal(mean, std);
        return values;
    }

    private static InMemoryDataset Sample(Random rng, int count, double[] inputMean, double[] inputStd, double[] weights, double[] bias)
    {
        var features = inputMean.Length;
        var classes = bias.Length;
        var x = new float[(long)count * features];
        var y = new int[count];
        var logits = new double[classes];
        for (var i = 0; i < count; i++)
        {
            var row = x.AsSpan(i * features, features);
            for (var j = 0; j < features; j++)
                row[j] = (float)rng.NextNormal(inputMean[j], inputStd[j]);

            bias.CopyTo(logits, 0);
            for (var j = 0; j < features; j++)
            {
                var xj = (double)row[j];
                var w = weights.AsSpan(j * classes, classes);
                for (var c = 0; c < classes; c++)
                    logits[c] += xj * w[c];
            }
            var label = 0;
            for (var c = 1; c < classes; c++)
            {
                if (logits[c] > logits[label])
                    label = c;
            }
            y[i] = label;
        }
        return new InMemoryDataset(x, y, [features], classes);
    }
}
