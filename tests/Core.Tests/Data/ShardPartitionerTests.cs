using FlMicroservices.Core.Data;

namespace FlMicroservices.Core.Tests.Data;

public class ShardPartitionerTests
{
    [Fact]
    public void EachClientHoldsAtMostTwoLabelsWhenClassSizesAreMultiplesOfTheShardSize()
    {
        // 10 classes x 600 samples, 100 clients x 2 shards: 200 shards of 30, and 600 = 20 x 30.
        var labels = LabelSkew.BalancedLabels(10, 600);

        var partition = new ShardPartitioner().Partition(labels, 100, 10, new Random(17));

        var labelsPerClient = LabelSkew.LabelsOf(partition, labels).Select(l => l.Distinct().Count()).ToArray();
        Assert.All(partition, indices => Assert.Equal(60, indices.Length));
        Assert.All(labelsPerClient, count => Assert.InRange(count, 1, 2));
        // Two random shards rarely share a label (19 of the other 199 shards do), so most clients hold two.
        Assert.True(labelsPerClient.Count(c => c == 2) > 80);
    }

    [Fact]
    public void EveryShardIsASingleLabelRunOfTheLabelSortedSamples()
    {
        var labels = LabelSkew.BalancedLabels(10, 600);

        var partition = new ShardPartitioner().Partition(labels, 100, 10, new Random(17));

        // Per client and label, the owned samples are 30 or 60 (one or two whole shards of that label).
        foreach (var client in LabelSkew.LabelsOf(partition, labels))
            Assert.All(client.GroupBy(y => y), g => Assert.Contains(g.Count(), new[] { 30, 60 }));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void ShardsPerClientBoundsTheLabelsPerClient(int shardsPerClient)
    {
        // 20 clients: 20k shards of 6000 / 20k samples, which divides 600 for k = 1, 3 and 5.
        var labels = LabelSkew.BalancedLabels(10, 600);

        var partition = new ShardPartitioner(shardsPerClient).Partition(labels, 20, 10, new Random(4));

        Assert.All(LabelSkew.LabelsOf(partition, labels), l => Assert.InRange(l.Distinct().Count(), 1, shardsPerClient));
    }

    [Fact]
    public void ShardsThatStraddleAClassBoundaryCarryBothLabels()
    {
        // 4 classes of 45, 6 shards of 30: shards 1 and 4 each straddle one boundary (labels 0-1 and 2-3), so a client
        // holds 2 labels plus one per straddling shard it owns, never more than 4.
        var labels = LabelSkew.BalancedLabels(4, 45);

        var labelsPerClient = Enumerable.Range(0, 20)
            .SelectMany(seed => LabelSkew.LabelsOf(new ShardPartitioner().Partition(labels, 3, 4, new Random(seed)), labels))
            .Select(l => l.Distinct().Count())
            .ToArray();

        Assert.All(labelsPerClient, count => Assert.InRange(count, 1, 4));
        Assert.Contains(labelsPerClient, count => count > 2);
    }

    [Fact]
    public void FewerSamplesThanShardsIsRejected()
    {
        var labels = LabelSkew.BalancedLabels(10, 15);

        var ex = Assert.Throws<ArgumentException>(() => new ShardPartitioner().Partition(labels, 100, 10, new Random(0)));

        Assert.Contains("200 samples", ex.Message);
        Assert.Contains("only 150", ex.Message);
    }

    [Fact]
    public void NonPositiveShardCountIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShardPartitioner(0));
    }
}
