using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Cli.Bench;

/// <summary>The aggregation service's FedAvg round (<see cref="RoundAggregation"/>) against the fastest plain read of the same bytes; see docs/benchmarks.md.</summary>
public static class AggregationBenchmark
{
    public const int SliceElements = 65_536;

    // Update payloads come from a pool at least this large, so every read comes from memory, not a cache (L3 here is 32 MiB).
    private const long PoolBytes = 256L << 20;

    /// <summary>Rounds measured by default: one round's figures swing with what else the machine does, their median much less.</summary>
    public const int DefaultRounds = 5;

    /// <param name="firstRound">Measure a service's first round of this model (accumulators allocated and touched for the first time)
    /// instead of a later one (accumulators reused from <see cref="AccumulatorPool.Shared"/>).</param>
    /// <param name="rounds">Rounds measured one after another, each against its own baseline; the figures are the medians.</param>
    public static AggregationBenchmarkResult Run(int clients, int parameters, int group = RoundAggregation.DefaultGroupSize, int seed = 1,
        bool firstRound = false, int rounds = DefaultRounds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(group);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rounds);
        var source = new Source(parameters, seed);
        var ids = Enumerable.Range(0, clients).Select(k => "client-" + k).ToArray();
        var global = new float[parameters];
        WarmUp(group);
        // A long-running service has closed rounds of this model before: their accumulators wait, zeroed, in the pool.
        PreviousRound(source, parameters, group, global);

        var measured = new List<RoundFigures>(rounds);
        float[]? next = null;
        for (var r = 0; r < rounds; r++)
        {
            if (firstRound) AccumulatorPool.Shared.Clear(); // a service's first round of this model allocates them instead
            var (figures, model) = MeasureRound(source, ids, parameters, group, seed, global);
            measured.Add(figures);
            next = model;
        }
        var identical = clients * (long)parameters <= MaxCheckedElements ? Reference(source, clients, parameters).AsSpan().SequenceEqual(next) : (bool?)null;

        var bytes = (double)clients * parameters * sizeof(float);
        var median = measured.OrderBy(f => f.Ratio).ElementAt(measured.Count / 2);
        var baselineName = median.Baseline == median.LockstepRead ? "lockstep" : median.Baseline == median.IntegerRead ? "integer" : "float";
        var modelBytes = (long)parameters * sizeof(float);
        var peakBytes = measured.Max(f => f.PeakBytes);
        var waiting = measured.Max(f => f.WaitingBytes);
        return new AggregationBenchmarkResult(clients, parameters, group, median.Service, median.Baseline, median.Ratio,
            median.IntegerRead, median.FloatRead, median.LockstepRead, baselineName,
            peakBytes, modelBytes, (double)peakBytes / modelBytes, waiting, (long)clients * modelBytes,
            median.ServiceNanoseconds / 1e9, median.BaselineNanoseconds / 1e9,
            ThreadCpuClock.MeasuresCpuTime ? "thread-cpu" : "elapsed", identical, firstRound ? "first" : "later",
            rounds, measured.Select(f => Math.Round(f.Ratio, 3)).ToArray(), measured.Min(f => f.Ratio), measured.Max(f => f.Ratio));
    }

    private sealed record RoundFigures(double Service, double IntegerRead, double FloatRead, double LockstepRead, long ServiceNanoseconds,
        long BaselineNanoseconds, long PeakBytes, long WaitingBytes)
    {
        public double Baseline => Math.Max(Math.Max(IntegerRead, FloatRead), LockstepRead);
        public double Ratio => Service / Baseline;
    }

    // One round through the service and the three plain reads of the same bytes; its figures and the model it produced.
    private static (RoundFigures Figures, float[] Model) MeasureRound(Source source, string[] ids, int parameters, int group, int seed, float[] global)
    {
        var clients = ids.Length;
        var started = new RoundStarted("bench", 1, 0, ids, DateTimeOffset.MaxValue, new TrainingConfig(1, 10, 0.1), PrivacyConfig.None,
            SliceElements, "bench", "fedavg", new Dictionary<string, string>(), 1.0, seed);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heapBefore = GC.GetTotalMemory(true);
        var pooled = AccumulatorPool.Shared.RetainedBytes; // allocated before, used by this round
        var peak = heapBefore;

        // Clients in groups of B, and for each group slice 0 of all B, then slice 1 of all B, ...: the order a partition fetch
        // delivers (the update stream is keyed by slice index). Each group is read by the service and by the three plain reads
        // of the same bytes in the same order, the four passes taking turns at going first (a pass that follows another may
        // find some of the group's bytes still in the cache), so that all four see the same machine; times are this thread's
        // CPU time (Linux).
        var round = new RoundAggregation(started, parameters, StrategyCatalog.Create("fedavg"), groupSize: group);
        long integerNanoseconds = 0, floatNanoseconds = 0, lockstepNanoseconds = 0, serviceNanoseconds = 0;
        var sink = 0L;
        var floatSink = 0f;
        for (var first = 0; first < clients; first += group)
        {
            var size = Math.Min(group, clients - first);
            for (var turn = 0; turn < 4; turn++)
            {
                var start = ThreadCpuClock.Now();
                switch ((first / group + turn) % 4)
                {
                    case 3:
                        for (var s = 0; s < source.Slices; s++)
                            sink += source.ReadInLockstep(first, size, s);
                        lockstepNanoseconds += ThreadCpuClock.Now() - start;
                        break;
                    case 0:
                        for (var s = 0; s < source.Slices; s++)
                            for (var k = first; k < first + size; k++)
                                sink += PlainRead.Sum(source.Payload(k, s).Span);
                        integerNanoseconds += ThreadCpuClock.Now() - start;
                        break;
                    case 1:
                        for (var s = 0; s < source.Slices; s++)
                            for (var k = first; k < first + size; k++)
                                floatSink += TensorPrimitives.Sum(MemoryMarshal.Cast<byte, float>(source.Payload(k, s).Span));
                        floatNanoseconds += ThreadCpuClock.Now() - start;
                        break;
                    default:
                        for (var s = 0; s < source.Slices; s++)
                            for (var k = first; k < first + size; k++)
                                round.Fold(source.Slice(ids[k], Weight(k), k, s));
                        for (var k = first; k < first + size; k++)
                            round.AcceptManifest(Manifest("bench", ids[k], k, source));
                        serviceNanoseconds += ThreadCpuClock.Now() - start;
                        break;
                }
            }
            if (first / group % 8 == 0) peak = Math.Max(peak, GC.GetTotalMemory(false));
        }
        var next = new float[parameters];
        var closing = ThreadCpuClock.Now();
        var outcome = round.Close(global, next);
        serviceNanoseconds += ThreadCpuClock.Now() - closing;
        peak = Math.Max(peak, GC.GetTotalMemory(false));
        if (!outcome.Succeeded) throw new InvalidOperationException($"The benchmark round failed: {outcome.FailureReason}");
        GC.KeepAlive(sink);
        GC.KeepAlive(floatSink);
        var waiting = round.PeakWaitingBytes;

        var bytes = (double)clients * parameters * sizeof(float);
        // The heap's growth (the round's bookkeeping, the next model at close) plus the accumulators the round took from the
        // pool, plus the slices that waited for their group: views of the pool here, a consumer's own record buffers in the service.
        var peakBytes = peak - heapBefore + pooled + waiting;
        var figures = new RoundFigures(bytes / serviceNanoseconds, bytes / integerNanoseconds, bytes / floatNanoseconds, bytes / lockstepNanoseconds,
            serviceNanoseconds, Math.Min(Math.Min(integerNanoseconds, floatNanoseconds), lockstepNanoseconds), peakBytes, waiting);
        return (figures, next);
    }

    // One client's update through a round of the same model: closing it leaves the model's accumulators in the pool.
    private static void PreviousRound(Source source, int parameters, int group, float[] global)
    {
        var started = new RoundStarted("previous", 1, 0, ["previous"], DateTimeOffset.MaxValue, new TrainingConfig(1, 10, 0.1), PrivacyConfig.None,
            SliceElements, "bench", "fedavg", new Dictionary<string, string>(), 1.0, 1);
        var round = new RoundAggregation(started, parameters, StrategyCatalog.Create("fedavg"), groupSize: group);
        for (var s = 0; s < source.Slices; s++) round.Fold(source.Slice("previous", Weight(0), 0, s));
        round.AcceptManifest(Manifest("previous", "previous", 0, source));
        var outcome = round.Close(global, new float[parameters]);
        if (!outcome.Succeeded) throw new InvalidOperationException($"The benchmark's previous round failed: {outcome.FailureReason}");
    }

    private static UpdateSubmitted Manifest(string task, string clientId, int client, Source source) =>
        new(task, 1, clientId, Weight(client), source.Slices, source.Parameters, source.Digest(client), null, new LocalMetrics(0, 0, 0));

    // The service is a long-running process: its code has been compiled at full optimisation (tiered JIT) long before a round
    // like this one. Small rounds through the same code first (each method called well over the tier-up count of 30), and a
    // pause for the background compiler, so that the measured round runs that code and not the first, quick compilation.
    private static void WarmUp(int group)
    {
        var ids = Enumerable.Range(0, 2 * group).Select(k => "warm-" + k).ToArray();
        var started = new RoundStarted("warm", 1, 0, ids, DateTimeOffset.MaxValue, new TrainingConfig(1, 10, 0.1), PrivacyConfig.None,
            SliceElements, "bench", "fedavg", new Dictionary<string, string>(), 1.0, 1);
        var parameters = 2 * SliceElements + 100; // two whole slices and a short one
        var source = new Source(parameters, 2, SliceElements * 64L * sizeof(float));
        var global = new float[parameters];
        var next = new float[parameters];
        for (var pass = 0; pass < 3; pass++)
        {
            for (var r = 0; r < 40; r++)
            {
                var round = new RoundAggregation(started, parameters, StrategyCatalog.Create("fedavg"), groupSize: group);
                for (var s = 0; s < source.Slices; s++)
                    for (var k = 0; k < ids.Length; k++)
                        round.Fold(source.Slice(ids[k], Weight(k), k, s));
                for (var k = 0; k < ids.Length; k++)
                    round.AcceptManifest(Manifest("warm", ids[k], k, source));
                round.Close(global, next);
                for (var s = 0; s < source.Slices; s++)
                    for (var k = 0; k < ids.Length; k++)
                    {
                        PlainRead.Sum(source.Payload(k, s).Span);
                        TensorPrimitives.Sum(MemoryMarshal.Cast<byte, float>(source.Payload(k, s).Span));
                    }
                for (var s = 0; s < source.Slices; s++) source.ReadInLockstep(0, ids.Length, s);
            }
            Thread.Sleep(300);
        }
    }

    // The exact result is checked against folding every slice on its own (the service's sums must equal it bit for bit) up to this size.
    private const long MaxCheckedElements = 1L << 30;

    private static int Weight(int client) => 1 + client % 7;

    private static float[] Reference(Source source, int clients, int parameters)
    {
        var round = StrategyCatalog.Create("fedavg").BeginRound(parameters, SliceElements);
        for (var k = 0; k < clients; k++)
            for (var s = 0; s < source.Slices; s++)
                round.Fold("client-" + k, s, MemoryMarshal.Cast<byte, float>(source.Payload(k, s).Span), Weight(k));
        var result = new float[parameters];
        round.Finish(new float[parameters], result);
        return result;
    }

    /// <summary>Client k's slice s: a whole slice of the pool (its first elements for a short last slice), walking through the pool.</summary>
    private sealed class Source
    {
        private readonly byte[] _pool;
        private readonly uint[] _checksums; // of every pool slice, whole and (for the model's short last slice) its prefix
        private readonly int _poolSlices;
        private readonly int _lastLength;

        public Source(int parameters, int seed, long poolBytes = PoolBytes)
        {
            Parameters = parameters;
            Slices = UpdateSliceCodec.SliceCountFor(parameters, SliceElements);
            _lastLength = parameters - (Slices - 1) * SliceElements;
            _poolSlices = (int)Math.Max(Slices, poolBytes / (SliceElements * sizeof(float)));
            _pool = new byte[(long)_poolSlices * SliceElements * sizeof(float)];
            var values = MemoryMarshal.Cast<byte, float>(_pool.AsSpan());
            var rng = new Random(seed);
            for (var i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() - 0.5);
            _checksums = new uint[2 * _poolSlices];
            for (var p = 0; p < _poolSlices; p++)
            {
                _checksums[2 * p] = UpdateDigest.SliceChecksum(PoolSlice(p, SliceElements).Span);
                _checksums[2 * p + 1] = UpdateDigest.SliceChecksum(PoolSlice(p, _lastLength).Span);
            }
        }

        public int Parameters { get; }
        public int Slices { get; }

        public ReadOnlyMemory<byte> Payload(int client, int slice) => PoolSlice(At(client, slice), Length(slice));

        /// <summary>Slice <paramref name="slice"/> of clients first .. first + count - 1 read as the grouped fold reads them: eight at a time in lockstep.</summary>
        public long ReadInLockstep(int first, int count, int slice)
        {
            var sum = 0L;
            var k = first;
            for (; k + 8 <= first + count; k += 8)
                sum += PlainRead.SumInLockstep(Payload(k, slice).Span, Payload(k + 1, slice).Span, Payload(k + 2, slice).Span,
                    Payload(k + 3, slice).Span, Payload(k + 4, slice).Span, Payload(k + 5, slice).Span, Payload(k + 6, slice).Span,
                    Payload(k + 7, slice).Span);
            for (; k < first + count; k++) sum += PlainRead.Sum(Payload(k, slice).Span);
            return sum;
        }

        /// <summary>The slice as the service's consumer hands it over: decoded, its payload's CRC-32 verified by decoding.</summary>
        public UpdateSlice Slice(string clientId, double weight, int client, int slice)
        {
            var at = At(client, slice);
            return new UpdateSlice("bench", 1, clientId, slice, Slices, (long)slice * SliceElements, weight, ElementType.Float32,
                PoolSlice(at, Length(slice))) { PayloadChecksum = Checksum(at, slice) };
        }

        public string Digest(int client)
        {
            var checksums = new uint[Slices];
            for (var s = 0; s < Slices; s++) checksums[s] = Checksum(At(client, s), s);
            return UpdateDigest.FromChecksums(checksums);
        }

        private uint Checksum(int at, int slice) => _checksums[2 * at + (slice == Slices - 1 && _lastLength != SliceElements ? 1 : 0)];

        private int Length(int slice) => slice == Slices - 1 ? _lastLength : SliceElements;

        private int At(int client, int slice) => (int)(((long)client * Slices + slice) % _poolSlices);

        private ReadOnlyMemory<byte> PoolSlice(int at, int length) =>
            _pool.AsMemory(at * SliceElements * sizeof(float), length * sizeof(float));
    }
}

/// <summary>The figures `fl bench aggregate` prints.</summary>
/// <remarks>
/// <c>service_gbps</c>: update bytes the aggregation service's round (<see cref="RoundAggregation"/>: checks, norms, grouped exact
/// fold, close) takes in per second; <c>baseline_gbps</c>: the fastest of three plain reads of the same bytes in the same run,
/// <c>integer_read_gbps</c> (a vectorised integer sum, one payload after another), <c>float_read_gbps</c> (TensorPrimitives.Sum)
/// and <c>lockstep_read_gbps</c> (the integer sum over eight payloads at once, as the grouped fold reads them); <c>ratio</c>: service
/// over baseline. <c>clock</c>: thread-cpu (this thread's CPU time, other processes do not count) or elapsed.
/// <c>identical</c>: the model equals folding every slice on its own, bit for bit (null: too large to check).
/// <c>round</c>: later (the accumulators of an earlier round of the model reused) or first (allocated fresh).
/// <c>rounds</c> rounds are measured one after another, each against its own baseline: <c>round_ratios</c> lists each round's
/// ratio, and the other figures are those of the round with the median ratio (<c>peak_bytes</c>: the largest of any round).
/// </remarks>
public sealed record AggregationBenchmarkResult(
    [property: JsonPropertyName("clients")] int Clients,
    [property: JsonPropertyName("params")] int Parameters,
    [property: JsonPropertyName("group")] int Group,
    [property: JsonPropertyName("service_gbps")] double ServiceGbps,
    [property: JsonPropertyName("baseline_gbps")] double BaselineGbps,
    [property: JsonPropertyName("ratio")] double Ratio,
    [property: JsonPropertyName("integer_read_gbps")] double IntegerReadGbps,
    [property: JsonPropertyName("float_read_gbps")] double FloatReadGbps,
    [property: JsonPropertyName("lockstep_read_gbps")] double LockstepReadGbps,
    [property: JsonPropertyName("baseline")] string Baseline,
    [property: JsonPropertyName("peak_bytes")] long PeakBytes,
    [property: JsonPropertyName("model_bytes")] long ModelBytes,
    [property: JsonPropertyName("peak_to_model")] double PeakToModel,
    [property: JsonPropertyName("waiting_peak_bytes")] long WaitingPeakBytes,
    [property: JsonPropertyName("hold_everything_bytes")] long HoldEverythingBytes,
    [property: JsonPropertyName("service_seconds")] double ServiceSeconds,
    [property: JsonPropertyName("baseline_seconds")] double BaselineSeconds,
    [property: JsonPropertyName("clock")] string Clock,
    [property: JsonPropertyName("identical")] bool? Identical,
    [property: JsonPropertyName("round")] string Round,
    [property: JsonPropertyName("rounds")] int Rounds,
    [property: JsonPropertyName("round_ratios")] double[] RoundRatios,
    [property: JsonPropertyName("ratio_min")] double RatioMin,
    [property: JsonPropertyName("ratio_max")] double RatioMax);
