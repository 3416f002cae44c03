namespace FlMicroservices.Core.Tests.Data;

/// <summary>Measures how far groups' label distributions are from the pooled one.</summary>
internal static class LabelSkew
{
    /// <summary>Mean over groups of the total-variation distance between the group's label distribution and that of all groups pooled.</summary>
    public static double MeanTotalVariation(IReadOnlyList<int[]> groupLabels, int classCount)
    {
        var global = new double[classCount];
        var total = 0;
        foreach (var group in groupLabels)
        {
            foreach (var y in group)
                global[y]++;
            total += group.Length;
        }
        for (var c = 0; c < classCount; c++)
            global[c] /= total;

        var sum = 0.0;
        foreach (var group in groupLabels)
        {
            var local = new double[classCount];
            foreach (var y in group)
                local[y] += 1.0 / group.Length;
            var distance = 0.0;
            for (var c = 0; c < classCount; c++)
                distance += Math.Abs(local[c] - global[c]);
            sum += distance / 2;
        }
        return sum / groupLabels.Count;
    }

    public static int[][] LabelsOf(int[][] partition, int[] labels) =>
        partition.Select(indices => indices.Select(i => labels[i]).ToArray()).ToArray();

    /// <summary>classCount x perClass labels in a seeded random order, so a partitioner cannot rely on the input being sorted.</summary>
    public static int[] BalancedLabels(int classCount, int perClass, int seed = 7)
    {
        var labels = Enumerable.Range(0, classCount * perClass).Select(i => i / perClass).ToArray();
        new Random(seed).Shuffle(labels);
        return labels;
    }
}
