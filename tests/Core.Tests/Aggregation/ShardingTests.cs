using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Aggregation.Robust;

namespace FlMicroservices.Core.Tests.Aggregation;

/// <summary>
/// Aggregation sharded by slice over K instances, each with its own round of the strategy and only its slices, gives the
/// single instance's next model: bit for bit, over two rounds (server-optimizer state stays with each instance), for
/// every strategy in the catalog; distance-based strategies exchange only their n × n partial distances.
/// </summary>
public sealed class ShardingTests
{
    private const int Parameters = 1_000;
    private const int SliceElements = 96; // 11 slices: uneven over 2 and 3 shards
    private static readonly int Slices = (Parameters + SliceElements - 1) / SliceElements;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in StrategyCatalog.Names)
            foreach (var shards in new[] { 2, 3 })
                data.Add(name, shards);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sharded_rounds_assemble_to_the_single_instance_model_bit_for_bit(string name, int shardCount)
    {
        var rng = new Random(name.Length * 31 + shardCount);
        var single = StrategyCatalog.Create(name, ParametersOf(name), settings: SettingsOf(name));
        var sharded = Enumerable.Range(0, shardCount).Select(_ => StrategyCatalog.Create(name, ParametersOf(name), settings: SettingsOf(name))).ToArray();
        var singleModel = Enumerable.Range(0, Parameters).Select(i => (float)Math.Sin(i)).ToArray();
        var shardedModel = (float[])singleModel.Clone();

        for (var roundIndex = 0; roundIndex < 2; roundIndex++)
        {
            var updates = Enumerable.Range(0, 9).Select(c => (Id: $"client-{c}", Weight: 3.0 + c,
                Delta: Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() - 0.5) * (c == 4 ? 2f : 0.1f)).ToArray())).ToList();

            var round = single.BeginRound(Parameters, SliceElements);
            var shards = sharded.Select(s => s.BeginRound(Parameters, SliceElements)).ToArray();
            for (var s = 0; s < Slices; s++)
                foreach (var (id, weight, delta) in updates)
                {
                    var values = delta.AsSpan(s * SliceElements, Math.Min(SliceElements, Parameters - s * SliceElements));
                    round.Fold(id, s, values, weight);
                    shards[SliceShards.Owner(s, shardCount)].Fold(id, s, values, weight);
                }

            var selection = SliceShards.CoordinateSelection(shards);
            Assert.Equal(name is "krum" or "multi-krum" or "bulyan", selection is not null);
            if (selection is not null) Assert.DoesNotContain("client-4", selection); // the outlier

            var expected = new float[Parameters];
            round.Finish(singleModel, expected);
            var results = shards.Select(shard =>
            {
                var result = new float[Parameters];
                shard.Finish(shardedModel, result);
                return result;
            }).ToList();
            var assembled = new float[Parameters];
            SliceShards.Assemble(results, SliceElements, assembled);

            Assert.Equal(expected, assembled);
            singleModel = expected;
            shardedModel = assembled;
        }
    }

    [Fact]
    public void Only_distances_of_clients_present_on_every_shard_are_combined_and_a_bad_selection_is_refused()
    {
        var shards = Enumerable.Range(0, 2).Select(_ => StrategyCatalog.Create("krum", new Dictionary<string, string> { ["f"] = "1" }).BeginRound(4, 2)).ToArray();
        var rng = new Random(5);
        for (var c = 0; c < 6; c++)
            for (var s = 0; s < 2; s++)
                if (!(c == 5 && s == 1)) // client-5 never delivers slice 1 (held by shard 1)
                    shards[s].Fold($"client-{c}", s, [(float)rng.NextDouble(), (float)rng.NextDouble()], 1);
        var selected = SliceShards.CoordinateSelection(shards)!;
        Assert.DoesNotContain("client-5", selected);
        var krum = (ISelectingRound)shards[1];
        Assert.Throws<ArgumentException>(() => krum.UseSelection(["client-5"]));
        Assert.Throws<ArgumentException>(() => SliceShards.CoordinateSelection([shards[0], StrategyCatalog.Create("median").BeginRound(4, 2)]));
        Assert.Throws<ArgumentException>(() => SliceShards.Assemble([new float[4], new float[3]], 2, new float[4]));
        Assert.Equal(1, SliceShards.Owner(4, 3));
    }

    private static Dictionary<string, string> ParametersOf(string name) => name switch
    {
        "krum" or "multi-krum" or "bulyan" => new() { ["f"] = "1" },
        "trimmed-mean" => new() { ["beta"] = "0.2" },
        _ => [],
    };

    private static RoundSettings? SettingsOf(string name) => name == "scaffold" ? new RoundSettings(TotalClients: 12, ControlVariates: true) : null;
}
