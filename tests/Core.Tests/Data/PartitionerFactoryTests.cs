using FlMicroservices.Core.Data;

namespace FlMicroservices.Core.Tests.Data;

public class PartitionerFactoryTests
{
    [Fact]
    public void IidSpecGivesTheIidPartitioner()
    {
        Assert.IsType<IidPartitioner>(PartitionerFactory.Parse("iid"));
    }

    [Theory]
    [InlineData("shards", 2)]
    [InlineData("shards:1", 1)]
    [InlineData("shards:5", 5)]
    [InlineData(" Shards : 3 ", 3)]
    public void ShardSpecsCarryTheShardsPerClient(string spec, int expected)
    {
        var partitioner = Assert.IsType<ShardPartitioner>(PartitionerFactory.Parse(spec));

        Assert.Equal(expected, partitioner.ShardsPerClient);
    }

    [Theory]
    [InlineData("dirichlet:0.5", 0.5)]
    [InlineData("dirichlet:100", 100.0)]
    [InlineData("dirichlet:1e-2", 0.01)]
    [InlineData("DIRICHLET:.3", 0.3)]
    public void DirichletSpecsCarryAlpha(string spec, double expected)
    {
        var partitioner = Assert.IsType<DirichletPartitioner>(PartitionerFactory.Parse(spec));

        Assert.Equal(expected, partitioner.Alpha);
    }

    [Theory]
    [InlineData("iid")]
    [InlineData("shards:2")]
    [InlineData("shards:7")]
    [InlineData("dirichlet:0.1")]
    [InlineData("dirichlet:0.3333333333333333")]
    public void NameParsesBackToTheSamePartitioner(string spec)
    {
        var name = PartitionerFactory.Parse(spec).Name;

        Assert.Equal(spec, name);
        Assert.Equal(name, PartitionerFactory.Parse(name).Name);
    }

    [Theory]
    [InlineData("dirichlet:0")]
    [InlineData("dirichlet:abc")]
    [InlineData("dirichlet:-0.5")]
    [InlineData("dirichlet:NaN")]
    [InlineData("dirichlet:0,5")]
    [InlineData("dirichlet")]
    [InlineData("foo")]
    [InlineData("")]
    [InlineData("iid:2")]
    [InlineData("shards:0")]
    [InlineData("shards:1.5")]
    [InlineData("shards:-2")]
    public void InvalidSpecsAreRejectedByName(string spec)
    {
        var ex = Assert.Throws<ArgumentException>(() => PartitionerFactory.Parse(spec));

        Assert.Contains($"'{spec}'", ex.Message);
        Assert.Contains("dirichlet:ALPHA", ex.Message);
        Assert.Contains("shards:K", ex.Message);
        Assert.Equal("spec", ex.ParamName);
    }
}
