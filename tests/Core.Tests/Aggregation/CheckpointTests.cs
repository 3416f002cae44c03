using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

/// <summary>A round checkpointed half-way and resumed in a fresh instance ends exactly as the uninterrupted round.</summary>
public sealed class CheckpointTests
{
    private const int Parameters = 1_000;
    private const int SliceElements = 128;
    private static readonly int Slices = (Parameters + SliceElements - 1) / SliceElements;

    public static TheoryData<string> Strategies()
    {
        var data = new TheoryData<string>();
        foreach (var name in StrategyCatalog.Names) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Strategies))]
    public void A_round_resumed_from_a_checkpoint_equals_the_uninterrupted_round_bit_for_bit(string name)
    {
        var updates = Updates(clients: 7, seed: 3);
        var global = Global();

        var expected = RunTwoRounds(name, updates, global, checkpointAfter: null);
        var resumed = RunTwoRounds(name, updates, global, checkpointAfter: updates.Count * Slices / 2);

        Assert.Equal(expected, resumed);
    }

    [Fact]
    public void A_checkpoint_from_a_round_of_another_shape_is_refused_with_a_reason()
    {
        var round = (ICheckpointable)StrategyCatalog.Create("fedavg").BeginRound(Parameters, SliceElements);
        var bytes = Write(round);
        var other = (ICheckpointable)StrategyCatalog.Create("fedavg").BeginRound(Parameters + 1, SliceElements);

        var error = Assert.Throws<InvalidDataException>(() => Read(other, bytes));
        Assert.Contains("1000 parameters", error.Message);
    }

    [Fact]
    public void A_truncated_checkpoint_is_refused()
    {
        var round = StrategyCatalog.Create("median").BeginRound(Parameters, SliceElements);
        round.Fold("a", 0, new float[SliceElements], 1);
        var bytes = Write((ICheckpointable)round);
        var fresh = (ICheckpointable)StrategyCatalog.Create("median").BeginRound(Parameters, SliceElements);

        Assert.Throws<InvalidDataException>(() => Read(fresh, bytes.AsSpan(0, bytes.Length - 10).ToArray()));
    }

    // Two rounds, so that server-optimizer state (momentum, moments) carried across rounds is checkpointed too.
    private static float[] RunTwoRounds(string name, List<(string Client, float[] Delta)> updates, float[] global, int? checkpointAfter)
    {
        var strategy = StrategyCatalog.Create(name, ParametersOf(name), settings: SettingsOf(name));
        var model = global;
        for (var round = 0; round < 2; round++)
        {
            var aggregator = strategy.BeginRound(Parameters, SliceElements);
            var folds = Order(updates).ToList();
            for (var i = 0; i < folds.Count; i++)
            {
                if (i == checkpointAfter)
                {
                    // Crash: only the checkpoints survive; a new strategy and round are built from them.
                    var strategyBytes = strategy is ICheckpointable s ? Write(s) : null;
                    var roundBytes = Write((ICheckpointable)aggregator);
                    strategy = StrategyCatalog.Create(name, ParametersOf(name), settings: SettingsOf(name));
                    if (strategyBytes is not null) Read((ICheckpointable)strategy, strategyBytes);
                    aggregator = strategy.BeginRound(Parameters, SliceElements);
                    Read((ICheckpointable)aggregator, roundBytes);
                }
                var (client, slice, values) = folds[i];
                aggregator.Fold(client, slice, values, 10 + client.Length);
            }
            var next = new float[Parameters];
            aggregator.Finish(model, next);
            model = next;
        }
        return model;
    }

    private static IEnumerable<(string, int, float[])> Order(List<(string Client, float[] Delta)> updates)
    {
        for (var s = 0; s < Slices; s++)
            foreach (var (client, delta) in updates)
            {
                var length = Math.Min(SliceElements, Parameters - s * SliceElements);
                yield return (client, s, delta.AsSpan(s * SliceElements, length).ToArray());
            }
    }

    private static Dictionary<string, string> ParametersOf(string name) => name switch
    {
        "krum" or "multi-krum" => new() { ["f"] = "1" },
        "bulyan" => new() { ["f"] = "1" },
        "trimmed-mean" => new() { ["beta"] = "0.2" },
        "scaffold" => new() { ["server-lr"] = "0.5" }, // 1,000 values: x and c of 500, slice 3 straddles
        _ => [],
    };

    private static RoundSettings? SettingsOf(string name) => name == "scaffold" ? new RoundSettings(TotalClients: 10, ControlVariates: true) : null;

    private static List<(string, float[])> Updates(int clients, int seed)
    {
        var rng = new Random(seed);
        var list = new List<(string, float[])>();
        for (var c = 0; c < clients; c++)
            list.Add(($"client-{c}", Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray()));
        return list;
    }

    private static float[] Global() => Enumerable.Range(0, Parameters).Select(i => (float)Math.Sin(i)).ToArray();

    private static byte[] Write(ICheckpointable state)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) state.WriteCheckpoint(writer);
        return stream.ToArray();
    }

    private static void Read(ICheckpointable state, byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes));
        state.ReadCheckpoint(reader);
    }
}
