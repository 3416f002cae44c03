using FlMicroservices.Core.Data;

namespace FlMicroservices.Core.Tests.Data;

public class DirichletPartitionerTests
{
    private static readonly int[] Labels = LabelSkew.BalancedLabels(10, 600);

    private static double Skew(double alpha, int clients = 20, int seed = 42)
    {
        var partition = new DirichletPartitioner(alpha).Partition(Labels, clients, 10, new Random(seed));
        return LabelSkew.MeanTotalVariation(LabelSkew.LabelsOf(partition, Labels), 10);
    }

    [Fact]
    public void LabelSkewGrowsAsAlphaFalls()
    {
        var sharp = Skew(0.1);
        var moderate = Skew(1);
        var flat = Skew(100);

        Assert.True(sharp > moderate, $"TV at alpha 0.1 = {sharp}, at alpha 1 = {moderate}");
        Assert.True(moderate > flat, $"TV at alpha 1 = {moderate}, at alpha 100 = {flat}");
        Assert.InRange(sharp, 0.6, 1.0);
        Assert.InRange(moderate, 0.25, 0.6);
        Assert.InRange(flat, 0.0, 0.1);
    }

    [Fact]
    public void NoClientIsEmptyEvenWhenAlphaIsTinyAndClientsAreMany()
    {
        // With alpha 0.001 each class lands almost entirely on one client, so most of 100 clients draw nothing.
        var labels = LabelSkew.BalancedLabels(10, 100);

        var partition = new DirichletPartitioner(0.001, maxAttempts: 5).Partition(labels, 100, 10, new Random(1));

        Assert.All(partition, indices => Assert.NotEmpty(indices));
        Assert.Equal(Enumerable.Range(0, 1000), partition.SelectMany(p => p).Order());
    }

    [Fact]
    public void MinimumClientSizeIsHonouredWhenTheSamplesAllowIt()
    {
        var partition = new DirichletPartitioner(0.05, minSamplesPerClient: 20).Partition(Labels, 50, 10, new Random(2));

        Assert.All(partition, indices => Assert.True(indices.Length >= 20, $"client of {indices.Length}"));
    }

    [Fact]
    public void MinimumClientSizeShrinksToAnEvenShareWhenTheSamplesDoNotAllowIt()
    {
        // 6000 samples cannot give 100 clients 61 each, so the repair settles for the even share of 60.
        var partition = new DirichletPartitioner(0.5, minSamplesPerClient: 61, maxAttempts: 3).Partition(Labels, 100, 10, new Random(3));

        Assert.All(partition, indices => Assert.True(indices.Length >= 60, $"client of {indices.Length}"));
        Assert.Equal(6000, partition.Sum(p => p.Length));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonPositiveOrNonFiniteAlphaIsRejected(double alpha)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DirichletPartitioner(alpha));
    }
}
