using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Cli.Bench;

/// <summary>Streamed FedAvg fold throughput against a plain memory read of the same bytes, and aggregation memory.</summary>
/// <remarks>
/// <para>
/// Every client's update is drawn from one buffer of one model's size (as slices arrive from the update stream),
/// so the managed heap holds the aggregate state plus that buffer; the hold-everything approach would keep
/// clients x model bytes. Client k's slice s is a whole slice of the buffer, rotated by k times a stride of
/// (slices / group) slices, so the members of a group read different memory, and a slice of the buffer is read
/// again only after about a model's worth of other traffic: every read comes from memory, not from a cache (for groups
/// up to the number of whole slices in the model, 178 at 11.7M parameters; larger groups share slices and flatter the fold).
/// </para>
/// <para>
/// Two folds of the same K x P floats in one run: one at a time (each client's slices in turn, as before), then grouped
/// (groups of <c>group</c> clients, slice by slice: B slices of the same index folded together, the order a partition
/// fetch gives). Each client (or group) is preceded by the baseline, a plain read of the same bytes in the same order,
/// so that each ratio compares passes that saw the same machine. Both folds must produce the same model bit for bit
/// (checked by a hash of it, so that one model is not held twice; the first round is gone before the second starts).
/// </para>
/// </remarks>
public static class AggregationBenchmark
{
    public const int SliceElements = 65_536;

    public static AggregationBenchmarkResult Run(int clients, int parameters, int group = 8, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(group);
        var update = new float[parameters];
        var rng = new Random(seed);
        for (var i = 0; i < update.Length; i++) update[i] = (float)(rng.NextDouble() - 0.5);
        var source = new Source(update, group);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(true);

        // One at a time: every slice of client 0, then of client 1, ... Each client's fold is preceded by the baseline, a plain
        // read of the same bytes in the same order (TensorPrimitives.Sum, as ever; see docs/benchmarks.md on how close it comes
        // to the memory's own speed), so that both see the same machine: on a shared machine the load changes during a run, and
        // interleaving keeps the ratio fair.
        var sink = 0f;
        var watch = new Stopwatch();
        var singleBaseline = new Stopwatch();
        var peak = 0L;
        var round = new FedAvg().BeginRound(parameters, SliceElements);
        for (var k = 0; k < clients; k++)
        {
            singleBaseline.Start();
            for (var s = 0; s < source.Slices; s++)
                sink += TensorPrimitives.Sum(source.Slice(k, s).Span);
            singleBaseline.Stop();
            var id = "client-" + k;
            watch.Start();
            for (var s = 0; s < source.Slices; s++)
                round.Fold(id, s, source.Slice(k, s).Span, Weight(k));
            watch.Stop();
            if (k % 16 == 0) peak = Math.Max(peak, GC.GetTotalMemory(false));
        }
        var singleSeconds = watch.Elapsed.TotalSeconds;
        peak = Math.Max(peak, GC.GetTotalMemory(false));
        var singleHash = FinishAndHash(round, parameters);
        round = null;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // Grouped: clients in groups of B, and for each group slice 0 of all B, then slice 1 of all B, ...; each group's fold
        // is preceded by its baseline, a plain read of the same bytes in the same order.
        var batch = (IBatchRoundAggregator)new FedAvg().BeginRound(parameters, SliceElements);
        var ids = new string[group];
        var weights = new double[group];
        var members = new ReadOnlyMemory<float>[group];
        var baseline = new Stopwatch();
        watch.Reset();
        for (var first = 0; first < clients; first += group)
        {
            var size = Math.Min(group, clients - first);
            for (var j = 0; j < size; j++)
            {
                ids[j] = "client-" + (first + j);
                weights[j] = Weight(first + j);
            }
            baseline.Start();
            for (var s = 0; s < source.Slices; s++)
                for (var j = 0; j < size; j++)
                    sink += TensorPrimitives.Sum(source.Slice(first + j, s).Span);
            baseline.Stop();
            watch.Start();
            for (var s = 0; s < source.Slices; s++)
            {
                for (var j = 0; j < size; j++) members[j] = source.Slice(first + j, s);
                batch.FoldMany(s, ids.AsSpan(0, size), new SliceGroup(members.AsSpan(0, size), weights.AsSpan(0, size)));
            }
            watch.Stop();
            if (first / group % 16 == 0) peak = Math.Max(peak, GC.GetTotalMemory(false));
        }
        var groupSeconds = watch.Elapsed.TotalSeconds;
        var baselineSeconds = baseline.Elapsed.TotalSeconds;
        peak = Math.Max(peak, GC.GetTotalMemory(false));
        var groupHash = FinishAndHash(batch, parameters);
        GC.KeepAlive(sink);

        var bytes = (double)clients * parameters * sizeof(float);
        var fold = bytes / groupSeconds / 1e9;
        var single = bytes / singleSeconds / 1e9;
        var read = bytes / baselineSeconds / 1e9;
        var singleRead = bytes / singleBaseline.Elapsed.TotalSeconds / 1e9;
        var modelBytes = (long)parameters * sizeof(float);
        var peakBytes = peak - heapBefore + modelBytes;
        return new AggregationBenchmarkResult(clients, parameters, fold, read, fold / read,
            peakBytes, modelBytes, (double)peakBytes / modelBytes, (long)clients * modelBytes, groupSeconds, baselineSeconds,
            group, single, singleRead, single / singleRead, singleSeconds, singleHash == groupHash);
    }

    private static int Weight(int client) => 1 + client % 7;

    private static ulong FinishAndHash(IRoundAggregator round, int parameters)
    {
        var result = new float[parameters];
        round.Finish(new float[parameters], result);
        var hash = 14_695_981_039_346_656_037UL;
        foreach (var bits in MemoryMarshal.Cast<float, uint>(result))
            hash = (hash ^ bits) * 1_099_511_628_211UL;
        return hash;
    }

    /// <summary>Client k's slice s: a whole slice of one buffer (its first elements for a short last slice), rotated per client.</summary>
    private readonly struct Source
    {
        private readonly float[] _update;
        private readonly int _wholeSlices;
        private readonly int _stride;

        public Source(float[] update, int group)
        {
            _update = update;
            Slices = (update.Length + SliceElements - 1) / SliceElements;
            _wholeSlices = Math.Max(1, update.Length / SliceElements);
            _stride = Math.Max(1, _wholeSlices / group);
        }

        public int Slices { get; }

        public ReadOnlyMemory<float> Slice(int client, int slice)
        {
            var length = Math.Min(SliceElements, _update.Length - slice * SliceElements);
            var from = (int)((slice + (long)client * _stride) % _wholeSlices);
            return _update.AsMemory(from * SliceElements, length);
        }
    }
}

/// <summary>The figures `fl bench aggregate` prints.</summary>
/// <remarks>
/// <c>fold_gbps</c>, <c>baseline_gbps</c>, <c>ratio</c>, <c>fold_seconds</c> and <c>baseline_seconds</c> are of the grouped fold and
/// the plain read interleaved with it; the <c>single_</c> figures of the one-at-a-time fold and the plain read interleaved with
/// it, in the same run. <c>identical</c>: both folds gave the same model bit for bit.
/// </remarks>
public sealed record AggregationBenchmarkResult(
    [property: JsonPropertyName("clients")] int Clients,
    [property: JsonPropertyName("params")] int Parameters,
    [property: JsonPropertyName("fold_gbps")] double FoldGbps,
    [property: JsonPropertyName("baseline_gbps")] double BaselineGbps,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("peak_bytes")] long PeakBytes,
    [property: JsonPropertyName("model_bytes")] long ModelBytes,
    [property: JsonPropertyName("peak_to_model")] double PeakToModel,
    [property: JsonPropertyName("hold_everything_bytes")] long HoldEverythingBytes,
    [property: JsonPropertyName("fold_seconds")] double FoldSeconds,
    [property: JsonPropertyName("baseline_seconds")] double BaselineSeconds,
    [property: JsonPropertyName("group")] int Group,
    [property: JsonPropertyName("single_fold_gbps")] double SingleFoldGbps,
    [property: JsonPropertyName("single_baseline_gbps")] double SingleBaselineGbps,
    [property: JsonPropertyName("single_ratio")] double SingleRatio,
    [property: JsonPropertyName("single_fold_seconds")] double SingleFoldSeconds,
    [property: JsonPropertyName("identical")] bool Identical);
