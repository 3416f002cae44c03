namespace FlMicroservices.Core.Data;

/// <summary>A generated federated data set: per-device train and test splits, plus every device's test data pooled for server-side evaluation.</summary>
public sealed class SyntheticFederatedData
{
    internal SyntheticFederatedData(InMemoryDataset[] train, InMemoryDataset[] test, int[] samplesPerDevice)
    {
        Train = Array.AsReadOnly(train);
        Test = Array.AsReadOnly(test);
        SamplesPerDevice = Array.AsReadOnly(samplesPerDevice);
        PooledTest = InMemoryDataset.Concat(test);
    }

    /// <summary>Device k's training split.</summary>
    public IReadOnlyList<InMemoryDataset> Train { get; }

    /// <summary>Device k's test split.</summary>
    public IReadOnlyList<InMemoryDataset> Test { get; }

    /// <summary>All devices' test splits concatenated in device order.</summary>
    public InMemoryDataset PooledTest { get; }

    /// <summary>n_k, the number of samples generated for device k (train plus test).</summary>
    public IReadOnlyList<int> SamplesPerDevice { get; }

    public int DeviceCount => Train.Count;
}

/// <summary>Synthetic data generated per device on demand: each device's training split as <see cref="ClientData"/>, and a pooled test set.</summary>
public sealed record LazySyntheticData(IReadOnlyList<ClientData> Train, InMemoryDataset PooledTest);
