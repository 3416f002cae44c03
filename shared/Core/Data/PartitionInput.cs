namespace FlMicroservices.Core.Data;

/// <summary>Checks shared by every <see cref="IPartitioner"/> and the index bookkeeping they have in common.</summary>
internal static class PartitionInput
{
    public static void Validate(ReadOnlySpan<int> labels, int clientCount, int classCount, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(clientCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        if (labels.Length < clientCount)
            throw new ArgumentException(
                $"Cannot give each of {clientCount} clients at least one sample: there are only {labels.Length} samples.",
                nameof(clientCount));
        for (var i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
                throw new ArgumentException($"Label {labels[i]} of sample {i} is outside [0, {classCount}).", nameof(labels));
        }
    }

    /// <summary>Indices grouped by label, ascending within each label (a stable counting sort).</summary>
    public static int[][] IndicesByLabel(ReadOnlySpan<int> labels, int classCount)
    {
        var counts = new int[classCount];
        foreach (var y in labels)
            counts[y]++;
        var groups = new int[classCount][];
        for (var c = 0; c < classCount; c++)
            groups[c] = new int[counts[c]];
        var filled = new int[classCount];
        for (var i = 0; i < labels.Length; i++)
            groups[labels[i]][filled[labels[i]]++] = i;
        return groups;
    }

    /// <summary>Part <paramref name="index"/> of <paramref name="total"/> items cut into <paramref name="parts"/> runs whose lengths differ by at most one (longer runs first).</summary>
    public static (int Start, int Length) EvenSlice(int total, int parts, int index)
    {
        var baseLength = total / parts;
        var longer = total % parts;
        var start = index * baseLength + Math.Min(index, longer);
        return (start, baseLength + (index < longer ? 1 : 0));
    }

    public static int[][] ToSortedArrays(IReadOnlyList<List<int>> clients)
    {
        var result = new int[clients.Count][];
        for (var c = 0; c < clients.Count; c++)
        {
            result[c] = clients[c].ToArray();
            Array.Sort(result[c]);
        }
        return result;
    }
}
