using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.UpdateStream;
using FlMicroservices.Testing;
using FlMicroservices.Testing.Aggregation;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>
/// The aggregation service over the embedded update stream: a client rejected after some of its slices were folded is read
/// back and taken out, so the model is exactly the aggregate of the others; the stream keeps an open round's records
/// (they may be read again) and releases them once the round has closed.
/// </summary>
public sealed class RetractionFlowTests : IAsyncLifetime
{
    private const int Parameters = 2_000;
    private const int SliceElements = 256;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-retract-" + Guid.NewGuid().ToString("N"));
    private HarnessHost _bus = null!;

    public async Task InitializeAsync() => _bus = await HarnessHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("fedavg", "nan")]
    [InlineData("fedyogi", "nan")]
    [InlineData("trimmed-mean", "nan")]
    [InlineData("fedavg", "digest")]
    [InlineData("krum", "digest")]
    public async Task A_rejected_client_leaves_no_trace_in_the_model(string strategy, string defect)
    {
        var models = new FileModelStore(Path.Combine(_root, "models"));
        var rng = new Random(17);
        var global = Enumerable.Range(0, Parameters).Select(_ => (float)rng.NextDouble()).ToArray();
        await models.SaveVersionAsync(new ModelVersionInfo("t", 0, 0, null, Parameters, "", null, null, false, DateTimeOffset.UtcNow), global, CancellationToken.None);
        var updates = Enumerable.Range(0, 6).Select(c =>
        {
            var delta = Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray();
            return (Client: $"c{c}", Slices: UpdateSliceCodec.Slice("t", 1, $"c{c}", delta, 5 + c, SliceElements).ToList(), Examples: 5 + c);
        }).ToList();
        var parameters = strategy switch { "krum" => new Dictionary<string, string> { ["f"] = "1" }, "trimmed-mean" => new() { ["beta"] = "0.2" }, _ => [] };
        var started = new RoundStarted("t", 1, 0, updates.Select(u => u.Client).ToArray(), DateTimeOffset.UtcNow.AddMinutes(5),
            new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, SliceElements, "logreg", strategy, parameters, 0.5, 1);

        var stream = new InProcessUpdateStream(partitionCount: 3);
        var victim = updates[2];
        var manifests = updates.Select(u => new UpdateSubmitted("t", 1, u.Client, u.Examples, u.Slices.Count, Parameters,
            UpdateDigest.Of(u.Slices), null, new LocalMetrics(0.5, 1, 1))).ToList();
        if (defect == "nan")
        {
            // Its fifth slice holds a NaN: four slices are folded by then.
            var values = victim.Slices[4].AsFloats().ToArray();
            values[7] = float.NaN;
            victim.Slices[4] = victim.Slices[4] with { Payload = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray() };
        }
        else manifests[2] = manifests[2] with { Digest = UpdateDigest.Of(updates[3].Slices) }; // every slice folds, the digest disagrees at the end
        foreach (var u in updates) foreach (var slice in u.Slices) await stream.ProduceAsync(slice, CancellationToken.None);

        await using var aggregation = await AggregationInstance.StartAsync(_bus.Bus, models, stream: stream);
        await aggregation.Opener.OpenAsync(started, CancellationToken.None);
        await aggregation.StartIngestionAsync();
        var ingestion = aggregation.Ingestion;
        // Every record is read and folded, the round is open (no manifests yet): the stream must still hold them all.
        await Eventually.TrueAsync(() => ingestion.RecordsRead == updates.Sum(u => u.Slices.Count), TimeSpan.FromSeconds(30), "every record to be read");
        await Task.Delay(3 * SliceIngestionService.CommitInterval);
        Assert.True(stream.RetainedBytes > 0, "records of an open round must be kept");
        foreach (var manifest in manifests) await aggregation.Router.OnManifestAsync(manifest, CancellationToken.None);
        var aggregated = await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(30));

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        var rejected = Assert.Single(aggregated.Rejected);
        Assert.Equal("c2", rejected.ClientId);
        Assert.Contains(defect == "nan" ? "its 4 folded slices were taken back out" : $"its {victim.Slices.Count} folded slices were taken back out", rejected.Reason);
        var expected = Aggregate(started, updates.Where(u => u.Client != "c2"), global);
        Assert.Equal(expected, await models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None));

        // Closed: its records are committed and the embedded stream lets them go.
        await Eventually.TrueAsync(() => stream.RetainedBytes == 0, TimeSpan.FromSeconds(30), "the closed round's records to be released");
    }

    [Fact]
    public async Task Without_a_stream_reader_the_report_says_how_many_slices_stay_folded_and_why()
    {
        var started = new RoundStarted("t", 1, 0, ["a", "b"], DateTimeOffset.UtcNow.AddMinutes(5),
            new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, 2, "logreg", "fedavg", [], 0.5, 1);
        var round = new RoundAggregation(started, 5, new FedAvg(), groupSize: 1); // folded on arrival, so slice 0 is in the sums
        var a = UpdateSliceCodec.Slice("t", 1, "a", new float[] { 1f, 2f, 3f, float.NaN, 5f }, 1, 2).ToList();
        Assert.Equal(SliceOutcome.Folded, round.Fold(a[0], new StreamPosition(0, 0)));
        Assert.Equal(SliceOutcome.Rejected, round.Fold(a[1], new StreamPosition(1, 0)));
        var pending = Assert.Single(round.TakeRetractions());
        Assert.Equal([0], pending.Slices.Select(s => s.SliceIndex));
        Assert.Equal(new StreamPosition(0, 0), pending.Slices[0].Position);
        Assert.Empty(round.TakeRetractions()); // asked once
        round.RetractionFailed("a", "the record was released");
        var b = UpdateSliceCodec.Slice("t", 1, "b", new float[] { 1f, 1f, 1f, 1f, 1f }, 1, 2).ToList();
        foreach (var slice in b) round.Fold(slice);
        round.AcceptManifest(new UpdateSubmitted("t", 1, "b", 1, 3, 5, UpdateDigest.Of(b), null, new LocalMetrics(0, 0, 0)));
        var outcome = round.Close(new float[5], new float[5]);
        Assert.Contains("1 of its slices stay folded: the record was released", Assert.Single(outcome.Rejected).Reason);
    }

    private static float[] Aggregate(RoundStarted started, IEnumerable<(string Client, List<UpdateSlice> Slices, int Examples)> updates, float[] global)
    {
        var round = new RoundAggregation(started, Parameters, StrategyCatalog.Create(started.Strategy, started.StrategyParameters));
        foreach (var (client, slices, examples) in updates)
        {
            foreach (var slice in slices) Assert.Equal(SliceOutcome.Folded, round.Fold(slice));
            round.AcceptManifest(new UpdateSubmitted("t", 1, client, examples, slices.Count, Parameters, UpdateDigest.Of(slices), null, new LocalMetrics(0.5, 1, 1)));
        }
        var result = new float[Parameters];
        Assert.True(round.Close(global, result).Succeeded);
        return result;
    }
}
