using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

/// <summary>Properties every linear and server-optimizer strategy must have, over seeded random cases.</summary>
public class StrategyPropertyTests
{
    public static TheoryData<string> Strategies => new(StrategyFactory.Names);

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Streamed_slices_in_random_order_equal_all_at_once_bit_for_bit(string name)
    {
        var rng = new Random(name.Length * 7919 + name[^1]);
        for (var trial = 0; trial < 5; trial++)
        {
            var parameters = rng.Next(1, 400);
            var sliceElements = rng.Next(1, 50);
            var streamed = StrategyFactory.Create(name);
            var whole = StrategyFactory.Create(name);
            var global = LinearRounds.RandomUpdates(rng, 1, parameters)[0].Delta;
            var streamedModel = global;
            var wholeModel = global;

            for (var round = 0; round < 2; round++) // two rounds, so optimizer state (m, v, momentum) is compared too
            {
                var updates = LinearRounds.RandomUpdates(rng, rng.Next(1, 6), parameters);
                streamedModel = LinearRounds.Run(streamed, streamedModel, sliceElements, updates, rng);
                wholeModel = LinearRounds.RunWhole(whole, wholeModel, updates);

                Assert.Equal(LinearRounds.Bits(wholeModel), LinearRounds.Bits(streamedModel));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void The_result_does_not_depend_on_the_order_of_the_clients(string name)
    {
        var rng = new Random(1234);
        for (var trial = 0; trial < 5; trial++)
        {
            var parameters = rng.Next(1, 300);
            var forward = StrategyFactory.Create(name);
            var backward = StrategyFactory.Create(name);
            var a = LinearRounds.RandomUpdates(rng, 1, parameters)[0].Delta;
            var b = a;
            for (var round = 0; round < 2; round++)
            {
                var updates = LinearRounds.RandomUpdates(rng, 4, parameters);
                var reversed = ((string, float[], double)[])updates.Clone();
                Array.Reverse(reversed);
                a = LinearRounds.RunWhole(forward, a, updates);
                b = LinearRounds.RunWhole(backward, b, reversed);

                Assert.Equal(LinearRounds.Bits(a), LinearRounds.Bits(b));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Bounded_updates_stream_in_any_order_to_the_same_bits(string name)
    {
        var rng = new Random(77);
        var updates = LinearRounds.RandomUpdates(rng, 4, 120);
        var global = LinearRounds.RandomUpdates(rng, 1, 120)[0].Delta;

        var first = LinearRounds.Run(new NormBounding(StrategyFactory.Create(name), 1.0), global, 16, updates, new Random(1));
        var second = LinearRounds.Run(new NormBounding(StrategyFactory.Create(name), 1.0), global, 16, updates, new Random(2));

        Assert.Equal(LinearRounds.Bits(first), LinearRounds.Bits(second));
    }

    [Fact]
    public void Fedavg_of_identical_updates_is_that_update()
    {
        var rng = new Random(21);
        for (var trial = 0; trial < 20; trial++)
        {
            var parameters = rng.Next(1, 200);
            var update = new float[parameters];
            for (var i = 0; i < parameters; i++)
                update[i] = (float)((rng.NextDouble() - 0.5) * Math.Pow(2, rng.Next(-8, 8))); // |value| >= 2^-9 or exactly 0 mostly
            var clients = new (string, float[], double)[rng.Next(1, 8)];
            for (var c = 0; c < clients.Length; c++) clients[c] = ($"c{c}", update, rng.Next(1, 100_000));

            var mean = LinearRounds.Run(new FedAvg(), new float[parameters], rng.Next(1, 40), clients, rng);

            for (var i = 0; i < parameters; i++)
            {
                // Exact wherever weight * value * 2^32 is an integer (|value| >= 2^-9); within 2^-33 below that.
                if (Math.Abs(update[i]) >= 1f / 512) Assert.Equal(BitConverter.SingleToInt32Bits(update[i]), BitConverter.SingleToInt32Bits(mean[i]));
                else Assert.True(Math.Abs(mean[i] - update[i]) <= Math.ScaleB(1, -33), $"{mean[i]:R} vs {update[i]:R}");
            }
        }
    }
}
