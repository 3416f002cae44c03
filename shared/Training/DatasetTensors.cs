using System.Runtime.CompilerServices;
using FlMicroservices.Core.Data;
using static TorchSharp.torch;

namespace FlMicroservices.Training;

/// <summary>A data set as tensors, made once per data set and kept with it: the features share the data set's memory, the labels are int64.</summary>
/// <remarks>
/// Local training reads batches from these by index (a shuffle is a permutation of row numbers, each batch a gather of its
/// rows), so a round copies no data set: the client's examples are copied into a tensor once, not every round.
/// </remarks>
internal sealed class DatasetTensors
{
    private static readonly ConditionalWeakTable<InMemoryDataset, DatasetTensors> Cache = new();

    private DatasetTensors(InMemoryDataset data)
    {
        // One copy into torch's own (aligned) memory, not a tensor over the pinned managed array: BLAS kernels round
        // differently at different alignments, so a view over an array wherever the GC put it broke exact repeatability.
        Features = TensorCopy.FromSpan(data.Features, [data.Features.Length]).DetachFromDisposeScope();
        Labels = TensorCopy.Labels(data.Labels).DetachFromDisposeScope();
    }

    /// <summary>All rows, flat: [count * features], copied once.</summary>
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
