using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Core.Tests.Privacy.SecAgg;

public class NeighbourGraphTests
{
    private static byte[] Seed(byte value) => Enumerable.Repeat(value, 32).ToArray();

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(10, 8)]
    [InlineData(20, 10)]
    [InlineData(100, 14)]
    [InlineData(1000, 20)]
    [InlineData(10_000, 28)]
    public void The_default_degree_is_twice_the_ceiling_of_log2_n_clamped(int clients, int expected) =>
        Assert.Equal(expected, NeighbourGraph.DefaultDegree(clients));

    [Theory]
    [InlineData(20, 6)]
    [InlineData(50, 12)]
    [InlineData(100, 14)]
    [InlineData(101, 14)]
    [InlineData(500, 18)]
    public void A_SecAgg_plus_graph_is_symmetric_regular_connected_and_loop_free(int clients, int degree)
    {
        var graph = NeighbourGraph.RandomHarary(clients, degree, Seed(1));
        Assert.False(graph.IsComplete);
        Assert.Equal(degree, graph.Degree);
        for (var u = 0; u < clients; u++)
        {
            var neighbours = graph.NeighboursOf(u);
            Assert.Equal(degree, neighbours.Count);
            Assert.Equal(neighbours.Distinct().Count(), neighbours.Count);
            Assert.DoesNotContain(u, neighbours);
            Assert.Equal(neighbours.Order(), neighbours);
            foreach (var v in neighbours)
            {
                Assert.True(graph.AreNeighbours(v, u));
                Assert.Contains(u, graph.NeighboursOf(v));
            }
        }
        Assert.True(graph.IsConnected());
    }

    [Fact]
    public void The_graph_is_a_function_of_the_seed()
    {
        var a = NeighbourGraph.RandomHarary(64, 12, Seed(5));
        var b = NeighbourGraph.RandomHarary(64, 12, Seed(5));
        var c = NeighbourGraph.RandomHarary(64, 12, Seed(6));
        var differs = false;
        for (var u = 0; u < 64; u++)
        {
            Assert.Equal(a.NeighboursOf(u), b.NeighboursOf(u));
            differs |= !a.NeighboursOf(u).SequenceEqual(c.NeighboursOf(u));
        }
        Assert.True(differs);
    }

    [Fact]
    public void The_relabelling_is_random_not_the_plain_ring()
    {
        // In the unpermuted Harary graph client 0's neighbours would be 1..k/2 and n−k/2..n−1.
        var graph = NeighbourGraph.RandomHarary(200, 10, Seed(9));
        var ring = new[] { 1, 2, 3, 4, 5, 195, 196, 197, 198, 199 };
        Assert.NotEqual(ring, graph.NeighboursOf(0));
    }

    [Fact]
    public void Odd_degrees_round_up_and_large_degrees_give_the_complete_graph()
    {
        Assert.Equal(8, NeighbourGraph.RandomHarary(30, 7, Seed(2)).Degree);
        var complete = NeighbourGraph.RandomHarary(10, 9, Seed(2));
        Assert.True(complete.IsComplete);
        Assert.Equal(9, complete.Degree);
        var almost = NeighbourGraph.RandomHarary(10, 8, Seed(2)); // all but the client opposite on the ring
        Assert.False(almost.IsComplete);
        Assert.All(Enumerable.Range(0, 10), u => Assert.Equal(8, almost.NeighboursOf(u).Count));
        Assert.Equal(Enumerable.Range(0, 10).Where(v => v != 4), complete.NeighboursOf(4));
        Assert.True(complete.AreNeighbours(3, 4));
        Assert.False(complete.AreNeighbours(4, 4));
        Assert.True(complete.IsConnected());
    }

    [Fact]
    public void Removing_fewer_than_k_clients_leaves_the_graph_connected()
    {
        // H(k, n) is k-connected; check one removal pattern: the k − 1 neighbours of client 0 but one.
        var graph = NeighbourGraph.RandomHarary(40, 6, Seed(3));
        var removed = graph.NeighboursOf(0).Take(5).ToHashSet();
        var seen = new HashSet<int> { 0 };
        var queue = new Queue<int>([0]);
        while (queue.Count > 0)
        {
            foreach (var v in graph.NeighboursOf(queue.Dequeue()))
            {
                if (!removed.Contains(v) && seen.Add(v)) queue.Enqueue(v);
            }
        }
        Assert.Equal(40 - removed.Count, seen.Count);
    }
}
