using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Compression;

namespace FlMicroservices.Services.Tests.Aggregation;

public class CompressedRoundTests
{
    private const string TaskId = "task-z";
    private const int Parameters = 300;
    private const int SliceSize = 128;

    private static RoundStarted Started(string? compression, params string[] participants) =>
        new(TaskId, 4, 3, participants, new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), new TrainingConfig(1, 10, 0.1), PrivacyConfig.None,
            SliceSize, "mlp", "fedavg", [], 0.3, 1, Settings: new RoundSettings(Compression: compression));

    private static float[] Delta(int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, Parameters).Select(_ => (float)(random.NextDouble() - 0.5) * 0.1f).ToArray();
    }

    // What a node sends: the wire slices (through the codec) and the manifest whose digest covers the decoded values.
    private static (List<UpdateSlice> Wire, float[] Decoded, UpdateSubmitted Manifest) Send(string compression, string client, float[] delta, int examples)
    {
        var compressor = new SliceCompressor(CompressionSpec.Parse(compression));
        var wire = new List<UpdateSlice>();
        var decoded = new float[delta.Length];
        var plain = new List<UpdateSlice>();
        foreach (var slice in UpdateSliceCodec.Slice(TaskId, 4, client, delta, examples, SliceSize))
        {
            var (encoded, values) = compressor.Compress(slice, seed: slice.SliceIndex + 17);
            wire.Add(UpdateSliceCodec.Decode(UpdateSliceCodec.Encode(encoded)));
            values.CopyTo(decoded, slice.ElementOffset);
            plain.Add(UpdateSliceCodec.Slice(TaskId, 4, client, values, examples, SliceSize).Single());
        }
        var manifest = new UpdateSubmitted(TaskId, 4, client, examples, wire.Count, Parameters, UpdateDigest.Of(plain), null, new LocalMetrics(0.5, 1, 3));
        return (wire, decoded, manifest);
    }

    [Theory]
    [InlineData("q8")]
    [InlineData("q4+zstd")]
    [InlineData("topk:0.05")]
    public void Compressed_updates_aggregate_to_the_weighted_mean_of_what_they_decode_to(string compression)
    {
        var round = new RoundAggregation(Started(compression, "a", "b"), Parameters, new FedAvg());
        var a = Send(compression, "a", Delta(1), 10);
        var b = Send(compression, "b", Delta(2), 30);
        foreach (var slice in a.Wire.Concat(b.Wire)) Assert.Equal(SliceOutcome.Folded, round.Fold(slice));
        round.AcceptManifest(a.Manifest);
        round.AcceptManifest(b.Manifest);

        var result = new float[Parameters];
        var outcome = round.Close(new float[Parameters], result);

        Assert.True(outcome.Succeeded);
        Assert.Empty(outcome.Rejected);
        for (var i = 0; i < Parameters; i++)
            Assert.Equal((a.Decoded[i] * 10 + b.Decoded[i] * 30) / 40, result[i], 1e-6f);
    }

    [Fact]
    public void A_malformed_or_foreign_compressed_slice_is_a_recorded_rejection()
    {
        var round = new RoundAggregation(Started("q8", "good", "bad", "plain"), Parameters, new FedAvg());
        var good = Send("q8", "good", Delta(1), 10);
        var bad = Send("q8", "bad", Delta(2), 10);
        var plain = UpdateSliceCodec.Slice(TaskId, 4, "plain", Delta(3), 10, SliceSize).ToList();
        foreach (var slice in good.Wire) round.Fold(slice);
        round.AcceptManifest(good.Manifest);
        var broken = bad.Wire[0] with { Payload = bad.Wire[0].Payload[..^5], ElementCount = bad.Wire[0].ElementCount };
        Assert.Equal(SliceOutcome.Rejected, round.Fold(broken));
        Assert.Equal(SliceOutcome.Rejected, round.Fold(plain[0]));

        var outcome = round.Close(new float[Parameters], new float[Parameters]);

        Assert.True(outcome.Succeeded);
        Assert.Equal(["good"], outcome.Contributors.Select(c => c.ClientId));
        Assert.Contains("q8 payload of", outcome.Rejected.Single(r => r.ClientId == "bad").Reason);
        Assert.Contains("slice 0 is not-encoded, but the round takes q8", outcome.Rejected.Single(r => r.ClientId == "plain").Reason);
    }

    [Fact]
    public void A_compressed_slice_in_a_plain_round_is_refused_with_its_encoding()
    {
        var round = new RoundAggregation(Started(null, "a"), Parameters, new FedAvg());
        var sent = Send("topk:0.1", "a", Delta(1), 10);

        Assert.Equal(SliceOutcome.Rejected, round.Fold(sent.Wire[0]));
        var outcome = round.Close(new float[Parameters], new float[Parameters]);
        Assert.Contains("TopK-encoded, but the round takes none", Assert.Single(outcome.Rejected).Reason);
    }
}
