using System.Diagnostics;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Data;
using FlMicroservices.Core.Privacy;
using FlMicroservices.Core.Privacy.Audit;
using FlMicroservices.Training;

namespace FlMicroservices.Cli.Audit;

/// <summary>Settings of a privacy audit; the defaults are an overfit configuration (few samples per client, many local epochs).</summary>
public sealed record AuditOptions
{
    public int Clients { get; init; } = 40;
    public int SamplesPerClient { get; init; } = 5;
    public int Canaries { get; init; } = 128;
    public int Rounds { get; init; } = 20;
    public int LocalEpochs { get; init; } = 20;
    public int BatchSize { get; init; } = 5;
    public double LearningRate { get; init; } = 0.2;
    public string Model { get; init; } = "mlp";
    public double Clip { get; init; } = 1.0;
    public double Delta { get; init; } = 1e-5;
    public IReadOnlyList<double> Epsilons { get; init; } = [1, 3, 8];
    public int Seed { get; init; } = 1;
    public double Confidence { get; init; } = 0.95;
}

/// <summary>The audit of one training configuration.</summary>
public sealed record AuditRun(
    string Label, double? AccountantEpsilon, double? NoiseMultiplier,
    double Auc, double TprAt1PctFpr, double EmpiricalEpsilonLowerBound, int CanaryGuesses, int CanaryCorrect,
    double TestAccuracy, double Seconds, IReadOnlyList<RocPoint> Roc);

/// <summary>
/// `fl audit`: trains a federated model without DP and with client-level DP-FedAvg at several target epsilons (accountant:
/// the RDP accountant, full participation, `Rounds` compositions), then attacks each model:
/// <list type="bullet">
/// <item>membership inference by loss threshold on the real clients' training samples against held-out samples of the same
/// devices (AUC, TPR at 1% FPR, the ROC curve);</item>
/// <item>an empirical epsilon lower bound from canary clients (each one mislabeled random sample), each included with
/// probability 1/2, scored by the final model's loss on their sample (one-run audit, Steinke et al. 2023).</item>
/// </list>
/// Training uses the platform's own pieces (the TorchSharp trainer, the strategy catalog with its DP-FedAvg wrapper) in one
/// process, without the services around them, so that four trainings fit in a couple of minutes.
/// </summary>
public static class PrivacyAudit
{
    public static IReadOnlyList<AuditRun> Run(AuditOptions options, Action<string>? log = null)
    {
        TorchRuntime.EnsureInitialized(1);
        var synthetic = SyntheticFedProx.Generate(1, 1, iid: false, options.Seed, devices: options.Clients, maxSamplesPerDevice: Math.Max(options.SamplesPerClient * 2, SyntheticFedProx.MinSamplesPerDevice));
        var clients = synthetic.Train.Select(d => d.Take(options.SamplesPerClient)).ToArray();
        var members = InMemoryDataset.Concat(clients);
        var nonMembers = InMemoryDataset.Concat(synthetic.Test).Take(members.Count);
        var rng = new Random(options.Seed * 7919 + 1);
        var canaries = Enumerable.Range(0, options.Canaries).Select(_ => Canary(members, rng)).ToArray();
        var included = canaries.Select(_ => rng.NextDouble() < 0.5).ToArray();
        var participants = clients.Select((d, i) => ($"client-{i:D3}", d))
            .Concat(canaries.Select((d, i) => ($"canary-{i:D3}", d)).Where((_, i) => included[i]))
            .ToArray();

        var runs = new List<AuditRun> { Audit("no DP", null, options, participants, members, nonMembers, canaries, included, synthetic.PooledTest, log) };
        foreach (var epsilon in options.Epsilons)
        {
            // Full participation: every round composes the Gaussian mechanism once at sampling rate 1.
            var z = NoiseCalibrator.FindNoiseMultiplier(epsilon, 1.0, options.Rounds, options.Delta);
            runs.Add(Audit($"DP eps={epsilon:G3}", (epsilon, z), options, participants, members, nonMembers, canaries, included, synthetic.PooledTest, log));
        }
        return runs;
    }

    // A canary: one input from the members' distribution with a label the model would not predict (a memorisation target).
    private static InMemoryDataset Canary(InMemoryDataset like, Random rng)
    {
        var row = new float[like.FeatureCount];
        like.CopyRow(rng.Next(like.Count), row);
        for (var j = 0; j < row.Length; j++) row[j] += (float)(rng.NextDouble() - 0.5);
        return new InMemoryDataset(row, [rng.Next(like.ClassCount)], like.Shape, like.ClassCount);
    }

    private static AuditRun Audit(string label, (double Epsilon, double Z)? dp, AuditOptions options, (string Id, InMemoryDataset Data)[] participants,
        InMemoryDataset members, InMemoryDataset nonMembers, InMemoryDataset[] canaries, bool[] included, InMemoryDataset test, Action<string>? log)
    {
        var watch = Stopwatch.StartNew();
        var shape = members.Shape;
        var plan = dp is { } d
            ? new RoundSettings(CentralDp: new CentralDpSettings(d.Z, options.Clip, ExpectedClients: participants.Length, Seed: options.Seed))
            : RoundSettings.None;
        var strategy = StrategyCatalog.Create("fedavg", settings: plan);
        var global = ModelFactory.InitialParameters(options.Model, shape, members.ClassCount, options.Seed);
        using var trainer = new LocalTrainer(options.Model, shape, members.ClassCount);
        var settings = new TrainingSettings(options.LocalEpochs, options.BatchSize, options.LearningRate);
        var delta = new float[global.Length];
        for (var round = 1; round <= options.Rounds; round++)
        {
            var aggregator = strategy.BeginRound(global.Length, global.Length);
            foreach (var (id, data) in participants)
            {
                var result = trainer.Train(global, data, settings, HashCode.Combine(options.Seed, round, id), CancellationToken.None);
                System.Numerics.Tensors.TensorPrimitives.Subtract(result.Parameters, global, delta);
                aggregator.Fold(id, 0, delta, 1); // uniform weights: what client-level DP's sensitivity assumes
            }
            var next = new float[global.Length];
            aggregator.Finish(global, next);
            global = next;
        }

        var memberLosses = PerSampleLosses(trainer, global, members);
        var nonMemberLosses = PerSampleLosses(trainer, global, nonMembers);
        var attack = MembershipInference.LossThreshold(memberLosses, nonMemberLosses);
        var canaryScores = canaries.Select(c => -trainer.Evaluate(global, c).Loss).ToArray();
        var guesses = Math.Max(1, canaries.Length / 8);
        var bound = EmpiricalEpsilon.OneRun(canaryScores, included, guesses, guesses, options.Confidence);
        var accuracy = trainer.Evaluate(global, test).Accuracy;
        var run = new AuditRun(label, dp?.Epsilon, dp?.Z, attack.Auc, attack.TprAtLowFpr, bound.Epsilon, bound.Guesses, bound.Correct,
            accuracy, watch.Elapsed.TotalSeconds, attack.Curve);
        log?.Invoke($"{label}: AUC {run.Auc:F3}, TPR@1%FPR {run.TprAt1PctFpr:F3}, empirical eps >= {run.EmpiricalEpsilonLowerBound:F2} " +
            $"({bound.Correct}/{bound.Guesses} canary guesses), test accuracy {accuracy:P1}, {watch.Elapsed.TotalSeconds:F1} s");
        return run;
    }

    private static double[] PerSampleLosses(LocalTrainer trainer, float[] parameters, InMemoryDataset data)
    {
        var losses = new double[data.Count];
        for (var i = 0; i < data.Count; i++) losses[i] = trainer.Evaluate(parameters, data.Subset([i])).Loss;
        return losses;
    }
}
