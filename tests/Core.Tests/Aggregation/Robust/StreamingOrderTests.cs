using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Aggregation.Robust;
using static FlMicroservices.Core.Tests.Aggregation.Robust.RobustRounds;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class StreamingOrderTests
{
    public static TheoryData<string> Strategies => ["median", "trimmed-mean", "krum", "multi-krum", "bulyan"];

    private static IAggregationStrategy Create(string name) => RobustStrategies.Create(name, new Dictionary<string, string>
    {
        ["beta"] = "0.2",
        ["f"] = "1",
    });

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Slices_streamed_in_random_order_give_bit_identical_results(string name)
    {
        var rng = new Random(name.Length * 31);
        for (var trial = 0; trial < 25; trial++)
        {
            var n = rng.Next(7, 12);
            var parameters = rng.Next(4, 40);
            var slice = rng.Next(1, parameters);
            var clients = Enumerable.Range(0, n).Select(i => ($"node-{rng.Next(1000)}-{i}", RandomVector(rng, parameters, 0.5 + i % 3))).ToArray();
            var global = RandomVector(rng, parameters);

            var inOrder = Run(Create(name), clients, slice, global);
            var shuffled = Run(Create(name), clients, slice, global, shuffle: new Random(trial));
            var reversed = Run(Create(name), clients.Reverse().ToArray(), slice, global, shuffle: new Random(trial + 100));

            Assert.Equal(Bits(inOrder), Bits(shuffled));
            Assert.Equal(Bits(inOrder), Bits(reversed));
        }
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void Large_slices_streamed_in_random_order_give_bit_identical_results(string name)
    {
        var rng = new Random(77);
        var clients = Enumerable.Range(0, 8).Select(i => ($"c{i}", RandomVector(rng, 5000, 1 + 0.1 * i))).ToArray();

        var inOrder = Run(Create(name), clients, 2048);
        var shuffled = Run(Create(name), clients, 2048, shuffle: new Random(5));

        Assert.Equal(Bits(inOrder), Bits(shuffled));
    }
}
