using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Infrastructure.Health;

/// <summary>
/// Index keys of data sets: a client holding a data set is found under its name's key and under the any-name key of its
/// shape, so the selector asks the health store for one key instead of reading every healthy client's record.
/// </summary>
public static class DatasetIndex
{
    /// <summary>The key of a requirement: <paramref name="name"/> (null: any name), the sample shape and the class count.</summary>
    /// <remarks>The name is length-prefixed, so no name can make another key ("*" is any name; a name "*" is "1:*").</remarks>
    public static string Key(string? name, IReadOnlyList<int> sampleShape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        return $"{(name is null ? "*" : $"{name.Length}:{name}")}|{string.Join(',', sampleShape)}|{classCount}";
    }

    /// <summary>The keys under which a client holding <paramref name="dataset"/> is found: by its name and by any name.</summary>
    public static string[] KeysOf(ClientDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return [Key(dataset.Name, dataset.SampleShape, dataset.ClassCount), Key(null, dataset.SampleShape, dataset.ClassCount)];
    }

    /// <summary>Whether a client advertising <paramref name="datasets"/> is found under <paramref name="key"/>; one that advertised none matches every key.</summary>
    public static bool Holds(IReadOnlyList<ClientDataset>? datasets, string key) =>
        datasets is null || datasets.Any(d => KeysOf(d).Contains(key, StringComparer.Ordinal));
}
