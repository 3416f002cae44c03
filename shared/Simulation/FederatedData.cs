using FlMicroservices.Core.Data;
using FlMicroservices.Training;

namespace FlMicroservices.Simulation;

/// <summary>A simulation's data: one training set per client and the server's held-out test set.</summary>
public sealed record FederatedData(IReadOnlyList<InMemoryDataset> ClientTrain, InMemoryDataset Test, string Description)
{
    public static FederatedData Load(SimulationOptions options)
    {
        if (!DatasetSpec.TryParse(options.Dataset, out var spec, out var problem)) throw new ArgumentException(problem);
        var rng = new Random(options.Seed);
        if (spec!.Kind == "mnist")
        {
            // Each client's rows are made straight from the file's bytes: the pooled training set is never held as floats.
            var partitioner = PartitionerFactory.Parse(options.Partition ?? "iid");
            var trainCount = 0;
            var (parts, test) = MnistLoader.LoadSplit(options.DataDir!, options.TrainSamples, labels =>
            {
                trainCount = labels.Length;
                return partitioner.Partition(labels, options.Clients, MnistLoader.ClassCount, rng);
            });
            if (options.TestSamples > 0) test = test.Take(options.TestSamples);
            return new FederatedData(parts, test,
                $"MNIST from {options.DataDir}: {trainCount} training samples over {options.Clients} clients ({partitioner.Name}), {test.Count} test samples");
        }

        var synthetic = SyntheticFedProx.Generate(spec.Alpha, spec.Beta, spec.Iid, options.Seed, devices: options.Clients);
        var name = spec.Iid ? "Synthetic-IID" : $"Synthetic({spec.Alpha},{spec.Beta})";
        var pooledTest = options.TestSamples > 0 ? synthetic.PooledTest.Take(options.TestSamples) : synthetic.PooledTest;
        if (options.Partition is null)
        {
            return new FederatedData(synthetic.Train, pooledTest,
                $"{name}: {options.Clients} devices with their own data ({synthetic.Train.Sum(d => d.Count)} training samples), {pooledTest.Count} pooled test samples");
        }
        var pooled = InMemoryDataset.Concat(synthetic.Train);
        var split = PartitionerFactory.Parse(options.Partition);
        var clients = split.Partition(pooled.Labels, options.Clients, pooled.ClassCount, rng);
        return new FederatedData(clients.Select(pooled.Subset).ToArray(), pooledTest,
            $"{name} pooled and re-split ({split.Name}) over {options.Clients} clients, {pooledTest.Count} pooled test samples");
    }
}
