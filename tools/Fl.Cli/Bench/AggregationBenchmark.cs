using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.Json.Serialization;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Cli.Bench;

/// <summary>Streamed FedAvg fold throughput against a plain memory read of the same bytes, and aggregation memory.</summary>
/// <remarks>
/// Every client's update streams through one reusable buffer (as slices arrive from the update stream),
/// so the managed heap holds the aggregate state plus one in-flight update; the hold-everything approach
/// would keep clients x model bytes.
/// </remarks>
public static class AggregationBenchmark
{
    public const int SliceElements = 65_536;

    public static AggregationBenchmarkResult Run(int clients, int parameters, int seed = 1)
    {
        var update = new float[parameters];
        var rng = new Random(seed);
        for (var i = 0; i < update.Length; i++) update[i] = (float)(rng.NextDouble() - 0.5);
        var slices = (parameters + SliceElements - 1) / SliceElements;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(true);

        // Baseline: read the same bytes once per client (a vectorised sum is bound by memory bandwidth).
        var sink = 0f;
        var watch = Stopwatch.StartNew();
        for (var k = 0; k < clients; k++)
            for (var s = 0; s < slices; s++)
                sink += TensorPrimitives.Sum(Slice(update, s));
        var baselineSeconds = watch.Elapsed.TotalSeconds;

        var round = new FedAvg().BeginRound(parameters, SliceElements);
        var peak = 0L;
        watch.Restart();
        for (var k = 0; k < clients; k++)
        {
            var id = "client-" + k;
            var weight = 1 + k % 7;
            for (var s = 0; s < slices; s++)
                round.Fold(id, s, Slice(update, s), weight);
            if (k % 16 == 0) peak = Math.Max(peak, GC.GetTotalMemory(false));
        }
        var foldSeconds = watch.Elapsed.TotalSeconds;
        peak = Math.Max(peak, GC.GetTotalMemory(false));
        var result = new float[parameters];
        round.Finish(new float[parameters], result);
        GC.KeepAlive(sink);

        var bytes = (double)clients * parameters * sizeof(float);
        var fold = bytes / foldSeconds / 1e9;
        var baseline = bytes / baselineSeconds / 1e9;
        var modelBytes = (long)parameters * sizeof(float);
        return new AggregationBenchmarkResult(clients, parameters, fold, baseline, fold / baseline,
            peak - heapBefore + modelBytes, modelBytes, (double)(peak - heapBefore + modelBytes) / modelBytes,
            (long)clients * modelBytes, foldSeconds, baselineSeconds);
    }

    private static ReadOnlySpan<float> Slice(float[] update, int slice)
    {
        var start = slice * SliceElements;
        return update.AsSpan(start, Math.Min(SliceElements, update.Length - start));
    }
}

/// <summary>The figures `fl bench aggregate` prints.</summary>
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
    [property: JsonPropertyName("baseline_seconds")] double BaselineSeconds);
