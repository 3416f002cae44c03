using FlMicroservices.Core.Data;
using FlMicroservices.Training;

namespace FlMicroservices.Training;

/// <summary>A federated data set: one training set per client (held, or generated when the client trains) and the server's held-out test set.</summary>
public sealed record FederatedData(IReadOnlyList<ClientData> ClientTrain, InMemoryDataset Test, string Description)
{
    /// <summary>Generates or reads <paramref name="dataset"/> (<see cref="DatasetSpec.ValidForms"/>) and splits it over <paramref name="clients"/> clients.</summary>
    /// <param name="dataset">The data set, as `--dataset` takes it.</param>
    /// <param name="dataDir">The MNIST folder (mnist only).</param>
    /// <param name="partition">"iid", "shards[:K]", "dirichlet:ALPHA"; null keeps synthetic devices' own split (iid for MNIST).</param>
    /// <param name="clients">Number of clients.</param>
    /// <param name="seed">Seed of the generation and the split.</param>
    /// <param name="trainSamples">Only the first N MNIST training samples (0 = all).</param>
    /// <param name="testSamples">Only the first N test samples (0 = all).</param>
    public static FederatedData Load(string dataset, string? dataDir, string? partition, int clients, int seed, int trainSamples = 0, int testSamples = 0)
    {
        if (!DatasetSpec.TryParse(dataset, out var spec, out var problem)) throw new ArgumentException(problem);
        var rng = new Random(seed);
        if (spec!.Kind == "mnist")
        {
            // Each client's rows are made straight from the file's bytes: the pooled training set is never held as floats.
            var partitioner = PartitionerFactory.Parse(partition ?? "iid");
            var trainCount = 0;
            var (parts, test) = MnistLoader.LoadSplit(dataDir!, trainSamples, labels =>
            {
                trainCount = labels.Length;
                return partitioner.Partition(labels, clients, MnistLoader.ClassCount, rng);
            });
            if (testSamples > 0) test = test.Take(testSamples);
            return new FederatedData(parts.Select(p => new ClientData(p)).ToArray(), test,
                $"MNIST from {dataDir}: {trainCount} training samples over {clients} clients ({partitioner.Name}), {test.Count} test samples");
        }

        var name = spec.Iid ? "Synthetic-IID" : $"Synthetic({spec.Alpha},{spec.Beta})";
        if (partition is null && clients > SyntheticFedProx.LazyAboveDevices)
        {
            // Many devices: each one's data is made when it trains (docs/data.md, "Lazy data").
            var lazy = SyntheticFedProx.GenerateLazily(spec.Alpha, spec.Beta, spec.Iid, seed, clients);
            var lazyTest = testSamples > 0 ? lazy.PooledTest.Take(testSamples) : lazy.PooledTest;
            return new FederatedData(lazy.Train, lazyTest,
                $"{name}: {clients} devices with their own data ({lazy.Train.Sum(d => (long)d.Count)} training samples, each device's made when it trains), " +
                $"{lazyTest.Count} pooled test samples of the first {Math.Min(clients, SyntheticFedProx.LazyTestDevices)} devices");
        }
        var synthetic = SyntheticFedProx.Generate(spec.Alpha, spec.Beta, spec.Iid, seed, devices: clients);
        var pooledTest = testSamples > 0 ? synthetic.PooledTest.Take(testSamples) : synthetic.PooledTest;
        if (partition is null)
        {
            return new FederatedData(synthetic.Train.Select(d => new ClientData(d)).ToArray(), pooledTest,
                $"{name}: {clients} devices with their own data ({synthetic.Train.Sum(d => d.Count)} training samples), {pooledTest.Count} pooled test samples");
        }
        var pooled = InMemoryDataset.Concat(synthetic.Train);
        var split = PartitionerFactory.Parse(partition);
        var shares = split.Partition(pooled.Labels, clients, pooled.ClassCount, rng);
        return new FederatedData(shares.Select(share => new ClientData(pooled.Subset(share))).ToArray(), pooledTest,
            $"{name} pooled and re-split ({split.Name}) over {clients} clients, {pooledTest.Count} pooled test samples");
    }
}
