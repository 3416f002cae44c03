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
        if (!double.IsFinite(alpha) || alpha < 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha (the spread of the devices' model means) must be a finite number >= 0.");
        if (!double.IsFinite(beta) || beta < 0)
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta (the spread of the devices' input means) must be a finite number >= 0.");
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

        var inputStd = new double[features];
        for (var j = 0; j < features; j++)
            inputStd[j] = Math.Sqrt(Math.Pow(j + 1, CovarianceDecay));

        var train = new InMemoryDataset[devices];
        var test = new InMemoryDataset[devices];
        for (var k = 0; k < devices; k++)
        {
            var weights = sharedWeights ?? Normals(rng, features * classes, modelMeans[k], 1);
            var bias = sharedBias ?? Normals(rng, classes, modelMeans[k], 1);
            var device = Sample(rng, counts[k], inputMeans[k], inputStd, weights, bias);

            var order = new int[counts[k]];
            for (var i = 0; i < order.Length; i++)
                order[i] = i;
            rng.Shuffle(order);
            var trainCount = (int)(TrainFraction * counts[k]);
            train[k] = device.Subset(order[..trainCount]);
            test[k] = device.Subset(order[trainCount..]);
        }
        return new SyntheticFederatedData(train, test, counts);
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
