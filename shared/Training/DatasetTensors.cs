using System.Runtime.CompilerServices;
using FlMicroservices.Core.Data;
using static TorchSharp.torch;

namespace FlMicroservices.Training;

/// <summary>A data set as tensors, made once per data set and kept with it: the features share the data set's memory, the labels are int64.</summary>
/// <remarks>
/// Local training reads batches from these by index (a shuffle is a permutation of row numbers, each batch a gather of its
/// rows), so a round copies no data set: the client's examples are held once, in the managed array the tensor is pinned over.
/// </remarks>
internal sealed class DatasetTensors
{
    private static readonly ConditionalWeakTable<InMemoryDataset, DatasetTensors> Cache = new();

    private DatasetTensors(InMemoryDataset data)
    {
        // from_array pins the array and wraps it: no copy. The data set is never changed in place, so the tensor stays true.
        Features = from_array(data.Features).DetachFromDisposeScope();
        Labels = TensorCopy.Labels(data.Labels).DetachFromDisposeScope();
    }

    /// <summary>All rows, flat: [count * features] over the data set's own array.</summary>
    public Tensor Features { get; }

    /// <summary>All labels as int64, the index type cross-entropy expects.</summary>
    public Tensor Labels { get; }

    /// <summary>The tensors of <paramref name="data"/>, made on first use (thread-safe) and freed with the data set.</summary>
    public static DatasetTensors For(InMemoryDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Cache.GetValue(data, d => new DatasetTensors(d));
    }
}
