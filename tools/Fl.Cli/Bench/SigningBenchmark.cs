using System.Numerics.Tensors;
using System.Text.Json.Serialization;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Data;
using FlMicroservices.Core.Privacy.SecAgg;
using FlMicroservices.Core.Security;
using FlMicroservices.Training;

namespace FlMicroservices.Cli.Bench;

/// <summary>What signing and verifying one update costs, per algorithm, as ratios to a plain round's client time measured in the same run.</summary>
/// <param name="Parameters">P of the update (a 2NN whose input width gives about the requested count).</param>
/// <param name="Examples">The client's examples (one local epoch, batch 10, as in McMahan et al.'s MNIST setting).</param>
/// <param name="TrainMilliseconds">Local training (median of the plain rounds).</param>
/// <param name="EncodeMilliseconds">The update: delta, slices, their wire encoding and the manifest digest (median).</param>
/// <param name="PlainClientMilliseconds">Training + encoding of the same round (median): the baseline.</param>
/// <param name="Algorithms">Per algorithm: the median costs of signing one update's statement and of verifying it.</param>
public sealed record SigningBenchmarkResult(
    [property: JsonPropertyName("params")] int Parameters,
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("train_ms")] double TrainMilliseconds,
    [property: JsonPropertyName("encode_ms")] double EncodeMilliseconds,
    [property: JsonPropertyName("plain_client_ms")] double PlainClientMilliseconds,
    [property: JsonPropertyName("cpu_time")] bool CpuTime,
    [property: JsonPropertyName("algorithms")] IReadOnlyList<SigningCost> Algorithms);

/// <summary>One algorithm's cost per update.</summary>
public sealed record SigningCost(
    [property: JsonPropertyName("algorithm")] string Algorithm,
    [property: JsonPropertyName("sign_ms")] double SignMilliseconds,
    [property: JsonPropertyName("verify_ms")] double VerifyMilliseconds,
    [property: JsonPropertyName("sign_ratio")] double SignRatio,
    [property: JsonPropertyName("verify_ratio")] double VerifyRatio,
    [property: JsonPropertyName("signature_bytes")] int SignatureBytes,
    [property: JsonPropertyName("public_key_bytes")] int PublicKeyBytes);

/// <summary>Measures update signatures against a plain round's client work (see <see cref="Run"/>).</summary>
public static class SigningBenchmark
{
    private const int Hidden = 200, Classes = 10, BatchSize = 10, SliceElements = 65_536;

    /// <summary>
    /// Trains a 2NN of about <paramref name="parameters"/> parameters for one local epoch on <paramref name="examples"/> synthetic
    /// examples and encodes its update as a node does (the plain client's time, median of <paramref name="rounds"/>), then signs and
    /// verifies that update's statement <paramref name="signatures"/> times with each algorithm (medians). Times are thread CPU time.
    /// </summary>
    public static SigningBenchmarkResult Run(int parameters, int examples, int rounds, int signatures)
    {
        TorchRuntime.EnsureInitialized(1);
        // 2NN d-200-200-10: 200d + 200 + 40,200 + 2,010 parameters.
        var inputs = Math.Max(1, (int)Math.Round((parameters - (Hidden + Hidden * Hidden + Hidden + Hidden * Classes + Classes)) / (double)Hidden));
        int[] shape = [inputs];
        var rng = new Random(1);
        var features = new float[examples * inputs];
        for (var i = 0; i < features.Length; i++) features[i] = (float)rng.NextDouble();
        var data = new InMemoryDataset(features, Enumerable.Range(0, examples).Select(_ => rng.Next(Classes)).ToArray(), shape, Classes);
        using var trainer = new LocalTrainer("mlp", shape, Classes);
        var global = ModelFactory.InitialParameters("mlp", shape, Classes, 1);
        var settings = new TrainingSettings(1, BatchSize, 0.1);
        trainer.Train(global, data, settings, 0); // warm-up: torch's first step and the JIT

        var train = new double[rounds];
        var encode = new double[rounds];
        string digest = "";
        int sliceCount = 0;
        for (var r = 0; r < rounds; r++)
        {
            var start = ThreadCpuClock.Now();
            var result = trainer.Train(global, data, settings, r + 1);
            var trained = ThreadCpuClock.Now();
            var delta = new float[global.Length];
            TensorPrimitives.Subtract(result.Parameters, global, delta);
            var slices = UpdateSliceCodec.Slice("bench", r + 1, "client", delta, result.ExampleCount, SliceElements).ToList();
            foreach (var slice in slices) UpdateSliceCodec.Encode(slice); // what the node hands the update stream
            digest = UpdateDigest.Of(slices);
            sliceCount = slices.Count;
            var encoded = ThreadCpuClock.Now();
            train[r] = Milliseconds(trained - start);
            encode[r] = Milliseconds(encoded - trained);
        }
        var plain = train.Zip(encode, (t, e) => t + e).ToArray();
        var baseline = Median(plain);

        var costs = new List<SigningCost>();
        foreach (var algorithm in SigningAlgorithms.Keyed)
        {
            using var key = SigningKeyPair.Generate(algorithm);
            var sign = new double[signatures];
            var verify = new double[signatures];
            var signatureBytes = 0;
            for (var i = 0; i < signatures; i++)
            {
                var start = ThreadCpuClock.Now();
                var statement = new UpdateStatement("update", "bench", 1, 0, "client", UpdateStatement.NewNonce(), digest, examples, sliceCount, global.Length);
                var signature = Convert.ToBase64String(key.Sign(statement.ToBytes()));
                var signed = ThreadCpuClock.Now();
                if (!SignatureVerifier.Verify(algorithm, key.PublicKey, statement.ToBytes(), Convert.FromBase64String(signature)))
                    throw new InvalidOperationException($"A {algorithm} signature made in the benchmark did not verify.");
                var verified = ThreadCpuClock.Now();
                sign[i] = Milliseconds(signed - start);
                verify[i] = Milliseconds(verified - signed);
                signatureBytes = Convert.FromBase64String(signature).Length;
            }
            var (s, v) = (Median(sign), Median(verify));
            costs.Add(new SigningCost(algorithm, s, v, s / baseline, v / baseline, signatureBytes, key.PublicKey.Length));
        }
        return new SigningBenchmarkResult(global.Length, examples, Median(train), Median(encode), baseline, ThreadCpuClock.MeasuresCpuTime, costs);
    }

    private static double Milliseconds(long nanoseconds) => ThreadCpuClock.ToTimeSpan(nanoseconds).TotalMilliseconds;

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
