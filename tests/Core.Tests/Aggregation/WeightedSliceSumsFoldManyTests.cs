using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

/// <summary>Grouped folds (<see cref="WeightedSliceSums.FoldMany(int, ReadOnlySpan{ReadOnlyMemory{float}}, ReadOnlySpan{double})"/>):
/// bit for bit the single folds, all or nothing.</summary>
public class WeightedSliceSumsFoldManyTests
{
    /// <summary>The whole state, as a checkpoint writes it: exact sums, weight totals, bounds and the fold count.</summary>
    private static byte[] State(WeightedSliceSums sums)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream)) sums.WriteTo(writer);
        return stream.ToArray();
    }

    private static float[] Mean(WeightedSliceSums sums)
    {
        var mean = new float[sums.ParameterCount];
        sums.WriteMean(mean);
        return mean;
    }

    /// <summary>Values of mixed magnitude (1e-7 to 10, both signs), some exactly zero or negative zero.</summary>
    private static float[] RandomValues(Random rng, int length)
    {
        var values = new float[length];
        for (var i = 0; i < length; i++)
            values[i] = rng.Next(20) switch
            {
                0 => 0f,
                1 => -0f,
                _ => (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-7, 2))),
            };
        return values;
    }

    private static void FoldEach(WeightedSliceSums sums, int slice, float[][] group, double[] weights)
    {
        for (var m = 0; m < group.Length; m++) sums.Fold(slice, group[m], weights[m]);
    }

    private static void FoldGroup(WeightedSliceSums sums, int slice, float[][] group, double[] weights) =>
        sums.FoldMany(slice, Memories(group), weights);

    private static ReadOnlyMemory<float>[] Memories(float[][] group) => [.. group.Select(values => (ReadOnlyMemory<float>)values)];

    [Fact]
    public void A_group_gives_the_same_sums_bit_for_bit_as_its_members_folded_one_by_one()
    {
        var rng = new Random(2024);
        for (var trial = 0; trial < 40; trial++)
        {
            // Lengths that are not multiples of any vector width, some longer than a block of the grouped fold (16,384) and
            // with a short last slice.
            var sliceElements = rng.Next(5) == 0 ? rng.Next(16_385, 36_000) : rng.Next(1, 300);
            var parameters = sliceElements * rng.Next(1, 4) - rng.Next(0, sliceElements);
            var bits = rng.Next(4) == 0 ? rng.Next(8, 40) : WeightedSliceSums.DefaultFractionBits;
            var single = new WeightedSliceSums(parameters, sliceElements, bits);
            var grouped = new WeightedSliceSums(parameters, sliceElements, bits);
            for (var step = 0; step < 6; step++)
            {
                var slice = rng.Next(single.SliceCount);
                var size = rng.Next(1, 18);
                var group = new float[size][];
                var weights = new double[size];
                for (var m = 0; m < size; m++)
                {
                    group[m] = RandomValues(rng, single.SliceLength(slice));
                    weights[m] = rng.Next(1, 5_001);
                }

                FoldEach(single, slice, group, weights);
                FoldGroup(grouped, slice, group, weights);

                Assert.Equal(State(single), State(grouped));
            }
            Assert.Equal(LinearRounds.Bits(Mean(single)), LinearRounds.Bits(Mean(grouped)));
        }
    }

    [Fact]
    public void Groups_single_folds_and_their_order_can_be_mixed_freely()
    {
        var rng = new Random(7);
        const int parameters = 40_000, sliceElements = 17_000; // slices of 17,000, 17,000 and 6,000
        var updates = LinearRounds.RandomUpdates(rng, 19, parameters);
        var reference = new WeightedSliceSums(parameters, sliceElements);
        foreach (var (_, delta, weight) in updates)
            for (var s = 0; s < reference.SliceCount; s++)
                reference.Fold(s, delta.AsSpan(s * sliceElements, reference.SliceLength(s)), weight);

        var mixed = new WeightedSliceSums(parameters, sliceElements);
        for (var s = mixed.SliceCount - 1; s >= 0; s--)
        {
            var clients = LinearRounds.Shuffled(Enumerable.Range(0, updates.Length).ToArray(), rng);
            for (var first = 0; first < clients.Length;)
            {
                var size = Math.Min(rng.Next(1, 9), clients.Length - first);
                var members = clients.Skip(first).Take(size).ToArray();
                if (size == 1 && rng.Next(2) == 0)
                    mixed.Fold(s, updates[members[0]].Delta.AsSpan(s * sliceElements, mixed.SliceLength(s)), updates[members[0]].Weight);
                else
                    mixed.FoldMany(s,
                        [.. members.Select(c => updates[c].Delta.AsMemory(s * sliceElements, mixed.SliceLength(s)))],
                        [.. members.Select(c => updates[c].Weight)]);
                first += size;
            }
        }

        Assert.Equal(State(reference), State(mixed));
        Assert.Equal(updates.Length * mixed.SliceCount, mixed.FoldedSlices);
    }

    [Fact]
    public void Large_terms_take_the_exact_scalar_path_and_agree_with_single_folds()
    {
        // weight * max|value| of 2^19 or more (at k = 32) is beyond the fast path: weight 1e6 with values up to 10, and
        // weight 2^25 with values near 1. Such members sit in groups with ordinary ones, and in a group of their own.
        var rng = new Random(5);
        const int length = 4_133;
        var single = new WeightedSliceSums(length, length);
        var grouped = new WeightedSliceSums(length, length);
        float[][] group = [RandomValues(rng, length), RandomValues(rng, length), RandomValues(rng, length), RandomValues(rng, length), RandomValues(rng, length)];
        double[][] weightings = [[3, 1_000_000, 17, 4_999, 33_554_432], [1_000_000, 33_554_432, 1_000_000, 2, 1], [1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000]];
        foreach (var weights in weightings)
        {
            FoldEach(single, 0, group, weights);
            FoldGroup(grouped, 0, group, weights);
            Assert.Equal(State(single), State(grouped));
        }
        Assert.Equal(LinearRounds.Bits(Mean(single)), LinearRounds.Bits(Mean(grouped)));
    }

    [Fact]
    public void Groups_larger_than_the_stack_scratch_work_the_same()
    {
        var rng = new Random(11);
        const int length = 777;
        var group = new float[70][];
        var weights = new double[70];
        for (var m = 0; m < group.Length; m++) (group[m], weights[m]) = (RandomValues(rng, length), rng.Next(1, 100));
        weights[33] = 2_000_000; // one member on the scalar path
        var single = new WeightedSliceSums(length, length);
        var grouped = new WeightedSliceSums(length, length);

        FoldEach(single, 0, group, weights);
        FoldGroup(grouped, 0, group, weights);

        Assert.Equal(State(single), State(grouped));
        Assert.Equal(70, grouped.FoldedSlices);
    }

    [Fact]
    public void An_empty_group_changes_nothing()
    {
        var sums = new WeightedSliceSums(10, 4);
        var before = State(sums);

        sums.FoldMany(1, [], []);

        Assert.Equal(before, State(sums));
        Assert.Equal(0, sums.FoldedSlices);
    }

    [Fact]
    public void A_group_that_could_overflow_is_refused_whole_and_changes_nothing()
    {
        // k = 32: per slice the sum of weight * max|value| must stay below 2^31 = 2.147e9. The slice already holds 1e9;
        // the group adds 0.5e9 and 0.7e9: either alone would fit, both do not.
        var rng = new Random(3);
        const int length = 3_001;
        var sums = new WeightedSliceSums(length * 2, length);
        var start = RandomValues(rng, length);
        start[17] = 1e9f;
        sums.Fold(0, start, 1);
        float[][] group = [RandomValues(rng, length), RandomValues(rng, length), RandomValues(rng, length)];
        group[1][2_999] = -0.5e9f;
        group[2][5] = 0.7e9f;
        var before = State(sums);
        var meanBefore = LinearRounds.Bits(Mean(sums));

        var error = Assert.Throws<OverflowException>(() => FoldGroup(sums, 0, group, [1, 1, 1]));

        Assert.Contains("member 2 of a group of 3", error.Message);
        Assert.Contains("Nothing in the group was folded", error.Message);
        Assert.Equal(before, State(sums));
        Assert.Equal(meanBefore, LinearRounds.Bits(Mean(sums)));
        Assert.Equal(1, sums.FoldedSlices);

        // Folded one by one, the first two members fit and the third is refused: the fallback the message suggests.
        sums.Fold(0, group[0], 1);
        sums.Fold(0, group[1], 1);
        Assert.Throws<OverflowException>(() => sums.Fold(0, group[2], 1));
        Assert.Equal(3, sums.FoldedSlices);
    }

    [Fact]
    public void An_overflowing_group_into_an_empty_slice_leaves_it_empty()
    {
        var sums = new WeightedSliceSums(8, 4);
        float[][] group = [[1f, 2f, 3f, 1e8f], [2.1e9f, 0f, 0f, 0f]]; // 2.1e9 alone fits below 2^31, 2.1e9 + 1e8 does not

        Assert.Throws<OverflowException>(() => FoldGroup(sums, 1, group, [1, 1]));

        Assert.Equal(0, sums.WeightOf(1));
        Assert.Equal(new float[8], Mean(sums)); // still a slice nobody delivered: zero movement, not NaN
        Assert.Equal(State(new WeightedSliceSums(8, 4)), State(sums));
    }

    public static TheoryData<string, int> BadMembers => new()
    {
        { "nan", 0 }, { "nan", 3 }, { "infinity", 2 }, { "negative infinity", 4 }, { "short", 1 }, { "long", 4 },
        { "fractional weight", 2 }, { "zero weight", 0 }, { "weight above the maximum", 3 }, { "NaN weight", 1 },
    };

    [Theory]
    [MemberData(nameof(BadMembers))]
    public void A_group_with_a_bad_member_is_refused_with_a_clear_message_and_changes_nothing(string fault, int member)
    {
        var rng = new Random(member);
        const int length = 16_411; // a block and a bit: the bad value can sit in the second block
        var sums = new WeightedSliceSums(length, length);
        sums.Fold(0, RandomValues(rng, length), 9); // the slice already holds sums: a refused group must leave them exactly
        var group = new float[5][];
        for (var m = 0; m < group.Length; m++) group[m] = RandomValues(rng, length);
        double[] weights = [1, 2, 3, 4, 5];
        switch (fault)
        {
            case "nan": group[member][member == 0 ? 16_400 : 100] = float.NaN; break;
            case "infinity": group[member][3] = float.PositiveInfinity; break;
            case "negative infinity": group[member][length - 1] = float.NegativeInfinity; break;
            case "short": group[member] = group[member][..^1]; break;
            case "long": group[member] = [.. group[member], 0f]; break;
            case "fractional weight": weights[member] = 2.5; break;
            case "zero weight": weights[member] = 0; break;
            case "weight above the maximum": weights[member] = WeightedSliceSums.MaxWeight + 1; break;
            case "NaN weight": weights[member] = double.NaN; break;
        }
        var before = State(sums);

        var error = Assert.ThrowsAny<ArgumentException>(() => FoldGroup(sums, 0, group, weights));

        Assert.Contains($"Member {member} of the group", error.Message);
        Assert.Contains("Nothing in the group was folded", error.Message);
        Assert.Equal("group", error.ParamName);
        if (fault.Contains("weight")) Assert.IsType<ArgumentOutOfRangeException>(error);
        Assert.Contains(fault switch
        {
            "nan" or "infinity" or "negative infinity" => "NaN or infinite",
            "short" or "long" => $"must hold {length} values",
            _ => "whole number",
        }, error.Message);
        Assert.Equal(before, State(sums));
        Assert.Equal(1, sums.FoldedSlices);
    }

    [Fact]
    public void Values_far_out_of_range_that_are_refused_leave_the_sums_exactly_as_they_were()
    {
        // Finite values whose terms are garbage on the fast path (far beyond 2^51, beyond 2^63 even): the group is refused
        // as out of range, and everything that was added while looking is taken off again.
        var rng = new Random(8);
        const int length = 100;
        var sums = new WeightedSliceSums(length, length);
        sums.Fold(0, RandomValues(rng, length), 3);
        float[][] group = [RandomValues(rng, length), RandomValues(rng, length), RandomValues(rng, length)];
        group[0][10] = 3e38f;
        group[2][99] = -1e20f;
        var before = State(sums);

        Assert.Throws<OverflowException>(() => FoldGroup(sums, 0, group, [1, 1, 1]));

        Assert.Equal(before, State(sums));
    }

    [Fact]
    public void Mismatched_values_and_weights_a_bad_slice_index_and_a_negative_count_are_refused()
    {
        var sums = new WeightedSliceSums(10, 4);
        ReadOnlyMemory<float>[] group = [new float[4], new float[4]];

        var mismatch = Assert.Throws<ArgumentException>(() => sums.FoldMany(0, group, [1]));
        Assert.Contains("one weight per slice: 2 slices, 1 weights", mismatch.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => sums.FoldMany(3, group, [1, 1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => sums.FoldMany(-1, group, [1, 1]));
        Assert.Throws<ArgumentException>(() => sums.FoldMany(0, new NegativeGroup()));
        Assert.Equal(0, sums.FoldedSlices);
    }

    private readonly struct NegativeGroup : ISliceGroup
    {
        public int Count => -1;
        public ReadOnlySpan<float> Values(int member) => throw new InvalidOperationException();
        public double Weight(int member) => throw new InvalidOperationException();
    }

    /// <summary>Any <see cref="ISliceGroup"/>, here a struct over records as a consumer might hold them.</summary>
    private readonly struct Records(IReadOnlyList<(string Id, float[] Delta, double Weight)> records, int first, int count, int start, int length) : ISliceGroup
    {
        public int Count => count;
        public ReadOnlySpan<float> Values(int member) => records[first + member].Delta.AsSpan(start, length);
        public double Weight(int member) => records[first + member].Weight;
    }

    public static TheoryData<string> MeanDeltaStrategies => ["fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad"];

    private static IAggregationStrategy Strategy(string name) => name switch
    {
        "fedavg" => new FedAvg(),
        "fedprox" => new FedProx(),
        "fedavgm" => new FedAvgM(),
        "fedadam" => new FedAdam(),
        "fedyogi" => new FedYogi(),
        _ => new FedAdagrad(),
    };

    [Theory]
    [MemberData(nameof(MeanDeltaStrategies))]
    public void A_round_folded_in_groups_gives_the_same_model_as_single_folds(string name)
    {
        var rng = new Random(name.Length);
        const int parameters = 4_500, sliceElements = 2_100;
        var updates = LinearRounds.RandomUpdates(rng, 13, parameters);
        var global = LinearRounds.RandomUpdates(rng, 1, parameters)[0].Delta;
        var expected = LinearRounds.Run(Strategy(name), global, sliceElements, updates);

        var round = Strategy(name).BeginRound(parameters, sliceElements);
        var batch = Assert.IsAssignableFrom<IBatchRoundAggregator>(round);
        var slices = (parameters + sliceElements - 1) / sliceElements;
        for (var s = 0; s < slices; s++)
        {
            var length = Math.Min(sliceElements, parameters - s * sliceElements);
            for (var first = 0; first < updates.Length; first += 5)
            {
                var count = Math.Min(5, updates.Length - first);
                var ids = updates.Skip(first).Take(count).Select(u => u.Id).ToArray();
                batch.FoldMany(s, ids, new Records(updates, first, count, s * sliceElements, length), []);
            }
        }
        Assert.Equal(updates.Length * slices, round.FoldedSlices);
        var result = new float[parameters];
        round.Finish(global, result);

        Assert.Equal(LinearRounds.Bits(expected), LinearRounds.Bits(result));
    }

    [Fact]
    public void A_groups_sums_of_squares_are_each_members_own_whatever_the_group_and_path()
    {
        var rng = new Random(77);
        foreach (var length in new[] { 1, 15, 16, 37, 16_384, 16_400, 40_013 })
            foreach (var count in new[] { 2, 3, 5, 8, 9, 13 })
            {
                var group = Enumerable.Range(0, count).Select(_ => RandomValues(rng, length)).ToArray();
                var weights = Enumerable.Range(0, count).Select(m => (double)(1 + m % 4)).ToArray();
                if (count == 9) group[4][length - 1] = 3e8f; // a large term: the group takes the two-pass path
                var squares = new double[count];
                new WeightedSliceSums(length, length).FoldMany(0, new SliceGroup(Memories(group), weights), squares);
                for (var m = 0; m < count; m++)
                {
                    // The definition, element by element: float squares in lane i mod 16, lanes added in order in double.
                    var lanes = new float[16];
                    for (var i = 0; i < length; i++) lanes[i % 16] += group[m][i] * group[m][i];
                    var expected = lanes.Sum(l => (double)l);
                    Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(WeightedSliceSums.SumOfSquares(group[m])));
                    Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(squares[m]));
                }
            }
        var wrong = Assert.Throws<ArgumentException>(() => new WeightedSliceSums(4, 4).FoldMany(0,
            new SliceGroup([new float[4], new float[4]], [1, 1]), new double[1]));
        Assert.Contains("sum of squares", wrong.Message);
    }

    [Fact]
    public void The_batch_interface_checks_client_ids_and_refuses_a_finished_round()
    {
        var batch = (IBatchRoundAggregator)new FedAvg().BeginRound(4, 4);
        ReadOnlyMemory<float>[] deltas = [new float[] { 1, 2, 3, 4 }, new float[] { 4, 3, 2, 1 }];

        var mismatch = Assert.Throws<ArgumentException>(() => batch.FoldMany(0, ["a"], new SliceGroup(deltas, [1, 1]), []));
        Assert.Contains("one client id per slice", mismatch.Message);
        Assert.Throws<ArgumentNullException>(() => batch.FoldMany(0, ["a", null!], new SliceGroup(deltas, [1, 1]), []));
        Assert.Equal(0, batch.FoldedSlices);

        batch.FoldMany(0, ["a", "b"], new SliceGroup(deltas, [1, 3]), []);
        Assert.Equal(2, batch.FoldedSlices);
        var result = new float[4];
        batch.Finish(new float[4], result);
        Assert.Equal([3.25f, 2.75f, 2.25f, 1.75f], result);
        Assert.Throws<InvalidOperationException>(() => batch.FoldMany(0, ["c"], new SliceGroup(deltas[..1], [1]), []));
    }
}
