using FlMicroservices.Core.Data;

namespace FlMicroservices.Core.Tests.Data;

public class PartitionerCoverageTests
{
    // Unequal class sizes (and a total that no client count divides) exercise the remainders.
    private static readonly int[] Labels = UnevenLabels();

    public static TheoryData<string, int> SpecsAndClientCounts()
    {
        var data = new TheoryData<string, int>();
        foreach (var spec in new[] { "iid", "shards", "shards:3", "dirichlet:0.05", "dirichlet:1", "dirichlet:100" })
        {
            foreach (var clients in new[] { 1, 2, 7, 10, 100 })
                data.Add(spec, clients);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SpecsAndClientCounts))]
    public void EverySampleIsAssignedToExactlyOneClient(string spec, int clientCount)
    {
        var partition = PartitionerFactory.Parse(spec).Partition(Labels, clientCount, 10, new Random(3));

        Assert.Equal(clientCount, partition.Length);
        Assert.All(partition, indices => Assert.NotEmpty(indices));
        Assert.All(partition, indices => Assert.Equal(indices.Order(), indices));
        var all = partition.SelectMany(indices => indices).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, Labels.Length), all);
    }

    [Theory]
    [InlineData("iid")]
    [InlineData("shards")]
    [InlineData("dirichlet:0.3")]
    public void PartitionsAreReproducibleForASeed(string spec)
    {
        var partitioner = PartitionerFactory.Parse(spec);

        var first = partitioner.Partition(Labels, 20, 10, new Random(9));
        var again = partitioner.Partition(Labels, 20, 10, new Random(9));
        var other = partitioner.Partition(Labels, 20, 10, new Random(10));

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [InlineData("iid")]
    [InlineData("shards")]
    [InlineData("dirichlet:1")]
    public void MoreClientsThanSamplesIsRejected(string spec)
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            PartitionerFactory.Parse(spec).Partition([0, 1, 0, 1, 0], 6, 2, new Random(0)));

        Assert.Contains("6 clients", ex.Message);
        Assert.Contains("only 5 samples", ex.Message);
    }

    [Fact]
    public void LabelsOutsideTheClassRangeAreRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new IidPartitioner().Partition([0, 1, 3], 2, 3, new Random(0)));

        Assert.Contains("Label 3", ex.Message);
    }

    [Fact]
    public void IidClientSizesDifferByAtMostOne()
    {
        var sizes = new IidPartitioner().Partition(Labels, 7, 10, new Random(1)).Select(p => p.Length).ToArray();

        // 1265 samples over 7 clients: 5 clients of 181 and 2 of 180.
        Assert.Equal(1265, Labels.Length);
        Assert.Equal(5, sizes.Count(s => s == 181));
        Assert.Equal(2, sizes.Count(s => s == 180));
    }

    [Fact]
    public void IidClientsSeeRoughlyTheGlobalLabelMix()
    {
        var labels = LabelSkew.BalancedLabels(10, 600);
        var partition = new IidPartitioner().Partition(labels, 10, 10, new Random(2));

        // Multinomial noise alone gives about 0.05 for 600 samples over 10 equally likely classes.
        Assert.InRange(LabelSkew.MeanTotalVariation(LabelSkew.LabelsOf(partition, labels), 10), 0.0, 0.08);
    }

    private static int[] UnevenLabels()
    {
        var labels = Enumerable.Range(0, 10).SelectMany(c => Enumerable.Repeat(c, 50 + 17 * c)).ToArray();
        new Random(11).Shuffle(labels);
        return labels;
    }
}
