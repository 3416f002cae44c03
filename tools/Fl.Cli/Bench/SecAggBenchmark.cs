using System.Numerics.Tensors;
using System.Security.Cryptography;
using FlMicroservices.Core.Privacy.SecAgg;

namespace FlMicroservices.Cli.Bench;

/// <summary>
/// Secure aggregation against a plain round on the same inputs. Per-client figures are means over the clients whose inputs
/// are in the sum; ratios are secure / plain. Times are thread CPU time on Linux (see <see cref="SecAggCosts"/>).
/// </summary>
/// <param name="Clients">n.</param>
/// <param name="Parameters">P.</param>
/// <param name="Plus">SecAgg+ (sparse graph) or full SecAgg.</param>
/// <param name="Degree">k.</param>
/// <param name="Threshold">t.</param>
/// <param name="Dropout">Fraction of clients dropped after sharing keys.</param>
/// <param name="Included">Clients in the sum.</param>
/// <param name="PlainBytesSentPerClient">4P + 9: a float32 update and its header.</param>
/// <param name="SecureBytesSentPerClient">All four rounds.</param>
/// <param name="BytesSentRatio">Secure / plain bytes sent per client.</param>
/// <param name="SecureBytesReceivedPerClient">Keys, shares and the unmasking request (a plain client receives nothing in this comparison).</param>
/// <param name="PlainClientMilliseconds">Serialising the update (median of three plain rounds).</param>
/// <param name="SecureClientMilliseconds">All four rounds.</param>
/// <param name="ClientTimeRatio">Secure / plain client time.</param>
/// <param name="PlainServerMilliseconds">Deserialising and adding the updates (median of three plain rounds).</param>
/// <param name="SecureServerMilliseconds">All four rounds.</param>
/// <param name="ServerTimeRatio">Secure / plain server time.</param>
/// <param name="MaxAbsoluteError">Largest |secure sum − exact sum| over the coordinates.</param>
/// <param name="ErrorBound">What the quantisation allows (n·Δ/2).</param>
public sealed record SecAggBenchmarkResult(
    int Clients,
    int Parameters,
    bool Plus,
    int Degree,
    int Threshold,
    double Dropout,
    int Included,
    double PlainBytesSentPerClient,
    double SecureBytesSentPerClient,
    double BytesSentRatio,
    double SecureBytesReceivedPerClient,
    double PlainClientMilliseconds,
    double SecureClientMilliseconds,
    double ClientTimeRatio,
    double PlainServerMilliseconds,
    double SecureServerMilliseconds,
    double ServerTimeRatio,
    double MaxAbsoluteError,
    double ErrorBound);

/// <summary>Measures the cost of secure aggregation over a plain float32 round (see <see cref="Run"/>).</summary>
public static class SecAggBenchmark
{
    private const int PlainRepetitions = 3;

    /// <summary>
    /// Runs a secure round and a plain round (each client serialises its float32 update, the server deserialises and adds it)
    /// on the same updates (uniform in [−1, 1], clip bound 1) and compares bytes and CPU times. The plain round is short and
    /// dominated by memory traffic, so it is run three times and the median kept; the secure round is run once.
    /// </summary>
    /// <param name="clients">n ≥ 3.</param>
    /// <param name="parameters">P ≥ 1.</param>
    /// <param name="plus">SecAgg+ with the default degree and threshold, or full SecAgg with the default threshold.</param>
    /// <param name="dropout">Fraction of clients that drop after sharing keys (the case that costs the server most).</param>
    /// <param name="seed">Fixes the updates, the dropouts, the round seed and the clients' randomness.</param>
    /// <exception cref="SecAggAbortedException">The secure round failed (too many dropouts for the threshold).</exception>
    /// <remarks>Both rounds are run once beforehand at a tiny size so that the JIT compiler's work is not measured.</remarks>
    public static SecAggBenchmarkResult Run(int clients, int parameters, bool plus, double dropout, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(clients, 3);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameters);
        Measure(5, 64, plus, 0, seed); // warm-up
        return Measure(clients, parameters, plus, dropout, seed);
    }

    private static SecAggBenchmarkResult Measure(int clients, int parameters, bool plus, double dropout, int seed)
    {
        var roundSeed = SHA256.HashData(BitConverter.GetBytes(seed));
        var settings = plus
            ? SecAggParameters.SecAggPlus(clients, parameters, 1.0, roundSeed)
            : SecAggParameters.SecAgg(clients, parameters, 1.0, roundSeed);
        float[] Update(int client)
        {
            var random = new Random(unchecked(seed * 1_000_003 + client));
            var update = new float[parameters];
            for (var i = 0; i < update.Length; i++) update[i] = random.NextSingle() * 2 - 1;
            return update;
        }
        var drop = SecAggDropout.Random(clients, dropout, seed, DropoutStage.BeforeMaskedInput);

        GC.Collect();
        var secure = SecAggSimulator.Run(settings, Update, drop, randomSeed: seed);
        if (secure.Result is not { } result) throw new SecAggAbortedException(secure.Failure!.Kind, secure.Failure.Reason, secure.Failure.Clients);
        var included = result.IncludedClients;

        // The plain round, for the same clients, three times: its cost is mostly copying into freshly allocated buffers, and how
        // much of that memory the runtime has to fault in anew varies from run to run, so the median of three is reported.
        var exact = new double[parameters];
        var plainClient = new double[PlainRepetitions];
        var plainServer = new double[PlainRepetitions];
        long plainBytes = 0;
        for (var repetition = 0; repetition < PlainRepetitions; repetition++)
        {
            GC.Collect();
            long clientNanoseconds = 0, serverNanoseconds = 0;
            plainBytes = 0;
            var plainSum = new float[parameters];
            foreach (var client in included)
            {
                var update = Update(client);
                if (repetition == 0)
                {
                    for (var i = 0; i < parameters; i++) exact[i] += update[i];
                }
                var start = ThreadCpuClock.Now();
                var bytes = SecAggWire.Encode(new PlainUpdate(client, update));
                clientNanoseconds += ThreadCpuClock.Now() - start;
                plainBytes += bytes.Length;
                start = ThreadCpuClock.Now();
                var received = SecAggWire.Decode<PlainUpdate>(bytes);
                TensorPrimitives.Add(plainSum, received.Update, plainSum);
                serverNanoseconds += ThreadCpuClock.Now() - start;
            }
            plainClient[repetition] = ThreadCpuClock.ToTimeSpan(clientNanoseconds).TotalMilliseconds / included.Count;
            plainServer[repetition] = ThreadCpuClock.ToTimeSpan(serverNanoseconds).TotalMilliseconds;
        }
        Array.Sort(plainClient);
        Array.Sort(plainServer);

        var maxError = 0.0;
        for (var i = 0; i < parameters; i++) maxError = Math.Max(maxError, Math.Abs(result.Sum[i] - exact[i]));

        var m = included.Count;
        var plainBytesPerClient = (double)plainBytes / m;
        var secureBytes = included.Average(c => (double)secure.Costs.TotalBytesSent(c));
        var secureReceived = included.Average(c => (double)secure.Costs.TotalBytesReceived(c));
        var plainClientMs = plainClient[PlainRepetitions / 2];
        var secureClientMs = included.Average(c => secure.Costs.TotalClientTime(c).TotalMilliseconds);
        var plainServerMs = plainServer[PlainRepetitions / 2];
        var secureServerMs = secure.Costs.TotalServerTime.TotalMilliseconds;
        return new SecAggBenchmarkResult(clients, parameters, plus, settings.Degree, settings.Threshold, dropout, m,
            plainBytesPerClient, secureBytes, secureBytes / plainBytesPerClient, secureReceived,
            plainClientMs, secureClientMs, secureClientMs / plainClientMs,
            plainServerMs, secureServerMs, secureServerMs / plainServerMs,
            maxError, result.ErrorBound);
    }
}
