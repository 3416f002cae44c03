using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Tests.Aggregation;

/// <summary>
/// A client rejected after some of its slices were folded is taken back out: the round then ends exactly as if that client
/// had never been folded, for every strategy in the catalog and for the norm-bounded and DP-FedAvg wrappers.
/// </summary>
public sealed class RetractionTests
{
    private const int Parameters = 1_000;
    private const int SliceElements = 128;
    private static readonly int Slices = (Parameters + SliceElements - 1) / SliceElements;

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in StrategyCatalog.Names) data.Add(name, "");
        data.Add("fedavg", "max-norm=0.5");
        data.Add("fedadam", "max-norm=0.5");
        data.Add("median", "max-norm=0.5");
        data.Add("fedavg", "central-dp");
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Retracting_every_folded_slice_of_a_client_equals_never_folding_it_bit_for_bit(string name, string extra)
    {
        var honest = Updates(clients: 7, seed: 11);
        var rejected = ("client-x", Updates(clients: 1, seed: 99)[0].Delta.Select(v => v * 40).ToArray());
        var global = Global();

        var expected = Run(name, extra, honest, global, partial: null);
        var retracted = Run(name, extra, honest, global, partial: rejected);

        Assert.Equal(expected, retracted);
    }

    [Fact]
    public void Unfold_restores_the_exact_sums_weight_and_bound_and_refuses_a_fold_that_never_happened()
    {
        var sums = new WeightedSliceSums(10, 4);
        var a = new float[] { 1.5f, -2.25f, 3e-9f, 7 };
        var b = new float[] { 0.1f, 0.2f, 0.3f, 0.4f };
        sums.Fold(0, a, 3);
        var before = new float[10];
        sums.WriteMean(before);
        sums.Fold(0, b, 5);
        sums.Unfold(0, b, 5);
        var after = new float[10];
        sums.WriteMean(after);
        Assert.Equal(before, after);
        Assert.Equal(3, sums.WeightOf(0));
        Assert.Equal(1, sums.FoldedSlices);

        // Weight 0 left with non-zero sums: those were not the values folded.
        Assert.Throws<ArgumentException>(() => sums.Unfold(0, b, 3));
        Assert.Throws<ArgumentException>(() => sums.Unfold(1, b, 1)); // nothing folded into slice 1
        sums.Unfold(0, a, 3);
        Assert.Equal(0, sums.FoldedSlices);
        var empty = new float[10];
        sums.WriteMean(empty);
        Assert.All(empty, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void A_robust_round_forgets_a_fully_retracted_client()
    {
        var round = StrategyCatalog.Create("krum", new Dictionary<string, string> { ["f"] = "1" }).BeginRound(8, 4);
        var retract = (IRetractableRound)round;
        round.Fold("c", 0, [1, 1, 1, 1], 1);
        retract.Retract("c", 0, [1, 1, 1, 1], 1);
        Assert.Equal(0, round.FoldedSlices);
        Assert.Throws<ArgumentException>(() => retract.Retract("c", 0, [1, 1, 1, 1], 1));
    }

    // Honest clients fold in full; the rejected one (when given) folds half its slices interleaved with them and is then
    // retracted slice by slice.
    private static float[] Run(string name, string extra, List<(string Id, float[] Delta)> honest, float[] global,
        (string Id, float[] Delta)? partial)
    {
        var parameters = ParametersOf(name);
        var settings = name == "scaffold" ? new RoundSettings(TotalClients: 12, ControlVariates: true) : RoundSettings.None;
        if (extra == "central-dp") settings = settings with { CentralDp = new CentralDpSettings(1, 0.5, ExpectedClients: 6, Seed: 7), WholeUpdateNorms = true };
        else
            foreach (var pair in extra.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var kv = pair.Split('=');
                parameters[kv[0]] = kv[1];
            }
        var round = StrategyCatalog.Create(name, parameters, settings: settings).BeginRound(Parameters, SliceElements);
        var folded = new List<int>();
        for (var s = 0; s < Slices; s++)
        {
            if (partial is { } p && s % 2 == 0)
            {
                round.Fold(p.Id, s, SliceOf(p.Delta, s), 9);
                folded.Add(s);
            }
            for (var c = 0; c < honest.Count; c++)
                round.Fold(honest[c].Id, s, SliceOf(honest[c].Delta, s), 10 + c);
        }
        if (partial is { } q)
        {
            var retract = Assert.IsAssignableFrom<IRetractableRound>(round);
            foreach (var s in folded) retract.Retract(q.Id, s, SliceOf(q.Delta, s), 9);
        }
        var result = new float[Parameters];
        round.Finish(global, result);
        return result;
    }

    private static float[] SliceOf(float[] delta, int s) =>
        delta.AsSpan(s * SliceElements, Math.Min(SliceElements, Parameters - s * SliceElements)).ToArray();

    private static Dictionary<string, string> ParametersOf(string name) => name switch
    {
        "krum" or "multi-krum" or "bulyan" => new() { ["f"] = "1" },
        "trimmed-mean" => new() { ["beta"] = "0.2" },
        _ => [],
    };

    private static List<(string Id, float[] Delta)> Updates(int clients, int seed)
    {
        var rng = new Random(seed);
        var list = new List<(string, float[])>();
        for (var c = 0; c < clients; c++)
            list.Add(($"client-{c}", Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray()));
        return list;
    }

    private static float[] Global() => Enumerable.Range(0, Parameters).Select(i => (float)Math.Cos(i)).ToArray();
}
