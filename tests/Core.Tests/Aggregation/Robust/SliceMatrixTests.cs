using FlMicroservices.Core.Aggregation.Robust;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class SliceMatrixTests
{
    [Fact]
    public void Slices_are_allocated_only_when_first_delivered()
    {
        var matrix = new SliceMatrix(10, 4);
        matrix.Add("x", 2, [7f, 8f]);

        Assert.Equal(3, matrix.SliceCount);
        Assert.Equal(1, matrix.OwnedSliceCount);
        Assert.False(matrix.IsOwned(0));
        Assert.True(matrix.IsOwned(2));
        Assert.Equal([7f, 8f], matrix.Row(2, "x").ToArray());
    }

    [Fact]
    public void Clients_are_listed_in_ordinal_order_whatever_the_arrival_order()
    {
        var matrix = new SliceMatrix(2, 1);
        matrix.Add("b", 0, [1f]);
        matrix.Add("a", 1, [2f]);
        matrix.Add("B", 0, [3f]);
        matrix.Add("a", 0, [4f]);

        Assert.Equal(["B", "a", "b"], matrix.Clients);
        Assert.Equal(["B", "a", "b"], matrix.ClientsOf(0));
        Assert.Equal(["a"], matrix.ClientsOf(1));
        Assert.Equal(["a"], matrix.CompleteClients());
        Assert.Equal(3, matrix.DeliveredCount(0));
        Assert.Equal(4, matrix.FoldedSlices);
    }

    [Fact]
    public void Complete_clients_are_those_that_delivered_every_owned_slice()
    {
        // An instance that owns slices 1 and 3 of 4: a client needs only those two.
        var matrix = new SliceMatrix(8, 2);
        matrix.Add("p", 1, [1f, 1f]);
        matrix.Add("p", 3, [1f, 1f]);
        matrix.Add("q", 1, [2f, 2f]);

        Assert.Equal(["p"], matrix.CompleteClients());
        Assert.True(matrix.Delivered(1, "q"));
        Assert.False(matrix.Delivered(3, "q"));
        Assert.False(matrix.Delivered(3, "nobody"));
    }

    [Fact]
    public void Stored_values_are_copies()
    {
        var matrix = new SliceMatrix(2, 2);
        var values = new[] { 1f, 2f };
        matrix.Add("a", 0, values);
        values[0] = 99f;

        Assert.Equal([1f, 2f], matrix.Row(0, "a").ToArray());
    }

    [Fact]
    public void Mean_of_chosen_clients_ignores_the_others_and_leaves_unowned_slices_at_zero()
    {
        var matrix = new SliceMatrix(5, 2);
        matrix.Add("a", 0, [1f, 2f]);
        matrix.Add("b", 0, [3f, 6f]);
        matrix.Add("c", 0, [100f, 100f]);
        matrix.Add("a", 2, [1f]);
        matrix.Add("b", 2, [2f]);
        var mean = new float[] { 9f, 9f, 9f, 9f, 9f };

        matrix.WriteMean(["b", "a"], mean);

        Assert.Equal([2f, 4f, 0f, 0f, 1.5f], mean);
    }

    [Fact]
    public void A_repeated_slice_a_wrong_length_or_an_unknown_slice_is_refused()
    {
        var matrix = new SliceMatrix(5, 2);
        matrix.Add("a", 0, [1f, 2f]);

        var repeated = Assert.Throws<ArgumentException>(() => matrix.Add("a", 0, [1f, 2f]));
        Assert.Contains("already delivered", repeated.Message);
        Assert.Throws<ArgumentException>(() => matrix.Add("a", 2, [1f, 2f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => matrix.Add("a", 3, [1f]));
        Assert.Throws<ArgumentException>(() => matrix.Row(1, "a"));
        Assert.Equal(1, matrix.FoldedSlices);
    }

    [Fact]
    public void Robust_rounds_check_weights_like_fedavg()
    {
        var round = new FedMedian().BeginRound(2, 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => round.Fold("a", 0, [1f, 2f], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => round.Fold("a", 0, [1f, 2f], double.PositiveInfinity));
        Assert.Equal(0, round.FoldedSlices);
    }
}
