using System.Diagnostics;
using System.Numerics.Tensors;
using FlMicroservices.Core.Async;
using FlMicroservices.Core.Privacy;
using FlMicroservices.Core.Privacy.Dp;
using FlMicroservices.Node;
using FlMicroservices.Simulation.Clock;
using FlMicroservices.Training;

namespace FlMicroservices.Simulation.Async;

/// <summary>
/// `fl simulate --mode async`: FedBuff on the simulated clock. Clients train continuously on the newest version, their updates
/// arrive in order of simulated completion time, and the buffer makes a version every K (docs/fedbuff.md).
/// </summary>
public static class FedBuffSimulation
{
    /// <summary>Simulated seconds a free slot waits before it looks again for a client inside its availability window.</summary>
    public const double RetrySeconds = 60;

    /// <summary>A run stops, failed, after this many client runs per version it was asked for without producing them all.</summary>
    private const int RunsPerVersionLimit = 1_000;

    public static Task<SimulationResult> RunAsync(SimulationOptions options, ISimulationProgress? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Mode != SimulationOptions.AsyncMode) throw new ArgumentException($"--mode {options.Mode}: this runner runs --mode async only.", nameof(options));
        var problems = options.Validate();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        return Task.Run(() => Run(options, progress ?? NoProgress.Instance, cancellationToken), cancellationToken);
    }

    private static SimulationResult Run(SimulationOptions options, ISimulationProgress progress, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        TorchRuntime.EnsureInitialized(1);
        var data = options.LoadData();
        progress.DataLoaded(data.Description, data.ClientTrain.Count);
        var clients = VirtualClients.Create(data, options);
        var profiles = DeviceProfiles.Create(options.Profiles ?? "uniform", clients.Length, options.Seed);
        var shape = data.Test.Shape;
        var classCount = data.Test.ClassCount;
        using var trainer = new LocalTrainer(options.Model, shape, classCount);
        using var evaluator = new Evaluator(options.Model, shape, classCount);
        var weighting = StalenessWeightings.Create(options.Staleness ?? "polynomial");
        // Central DP: each client is charged for every version it is in (docs/fedbuff.md, "Privacy"); it stops being scheduled at its limit.
        var z = options.DpNoiseMultiplier;
        using var noise = z is null ? null : GaussianNoise.FromSeed(options.Seed, "fedbuff");
        var privacy = z is null ? null : new FedBuffPrivacy(options.EffectiveDpClip, z.Value, noise!);
        var accountant = z is null ? null : new ParticipationAccountant(z.Value);
        var participationLimit = accountant?.MaxParticipationsWithin(options.DpEpsilonBudget!.Value, options.DpDelta) ?? int.MaxValue;
        var retired = 0;
        var budgetExhausted = false;
        var buffer = new FedBuffBuffer(ModelFactory.InitialParameters(options.Model, shape, classCount, options.Seed),
            options.EffectiveBuffer, options.MaxStaleness, weighting, options.AsyncServerLearningRate, privacy);
        var settings = new TrainingSettings(options.LocalEpochs, options.BatchSize, options.LearningRate);
        var bytes = (long)buffer.Model.Length * sizeof(float); // float32 both ways, as the synchronous clock counts
        var clock = new SimulatedClock();

        var snapshots = new Dictionary<int, (float[] Model, int Users)> { [0] = (buffer.Model.ToArray(), 0) };
        var queue = new PriorityQueue<ClientRun, (double End, long Sequence)>();
        var idle = new List<int>(Enumerable.Range(0, clients.Length));
        var picker = new Random(unchecked(options.Seed * 7_368_787 + 2_750_159));
        var window = new VersionWindow();
        var drops = new Dictionary<string, int>();
        var perVersion = new List<RoundMetrics>();
        long sequence = 0;
        var now = 0.0;
        var lastVersionAt = 0.0;
        var lastVersionWall = wall.Elapsed.TotalSeconds;
        int? versionToTarget = null;
        var reason = $"{options.Rounds} versions made";
        var succeeded = true;

        void Start()
        {
            // A free slot goes to an idle client drawn at random among those inside their availability window now.
            var available = idle.Where(i => (profiles[i].Window is not { } w || w.Covers(now, now)) && MayJoin(i)).ToList();
            if (available.Count == 0)
            {
                queue.Enqueue(new ClientRun(-1, sequence, buffer.Version, now, now + RetrySeconds, RunOutcome.Retry), (now + RetrySeconds, sequence++));
                return;
            }
            var client = available[picker.Next(available.Count)];
            idle.Remove(client);
            var profile = profiles[client];
            var seconds = profile.RoundSeconds((long)clients[client].Data.Count * options.LocalEpochs, bytes, bytes, clock.ReferenceSamplesPerSecond);
            var fails = new Random(ClientSeeds.For(options.Seed, (int)sequence, clients[client].ClientId + "/failure")).NextDouble() < profile.FailureProbability;
            var outcome = fails ? RunOutcome.Fails
                : profile.Window is { } open && !open.Covers(now, now + seconds) ? RunOutcome.WindowClosed
                : RunOutcome.Arrives;
            var version = buffer.Version;
            snapshots[version] = (snapshots[version].Model, snapshots[version].Users + 1);
            queue.Enqueue(new ClientRun(client, sequence, version, now, now + seconds, outcome), (now + seconds, sequence++));
            window.Started++;
            window.BytesDown += bytes;
        }

        // With privacy, a client joins only while its next version keeps it within the budget, and not while it is in the buffer.
        bool MayJoin(int client) => accountant is null
            || (accountant.Participations(clients[client].ClientId) < participationLimit && !buffer.Holds(clients[client].ClientId));

        for (var i = 0; i < options.EffectiveConcurrency; i++) Start();
        var runs = 0L;
        while (buffer.Version < options.Rounds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var run = queue.Dequeue();
            now = run.End;
            if (run.Outcome == RunOutcome.Retry)
            {
                Start();
                continue;
            }
            if (++runs > (long)RunsPerVersionLimit * options.EffectiveBuffer * options.Rounds)
            {
                (succeeded, reason) = (false, $"only {buffer.Version} of {options.Rounds} versions after {runs - 1} client runs: too few updates are accepted (dropped: {Describe(drops)})");
                break;
            }
            var baseModel = snapshots[run.BaseVersion].Model;
            Release(snapshots, run.BaseVersion, buffer.Version);
            idle.Add(run.Client);
            var outcome = run.Outcome == RunOutcome.Arrives ? Deliver(run, baseModel) : null;
            if (run.Outcome == RunOutcome.Fails) window.Failed++;
            if (run.Outcome == RunOutcome.WindowClosed) window.Late++;
            if (outcome?.NewVersion is { } version)
            {
                if (accountant is not null)
                {
                    accountant.Charge(outcome.Contributors!);
                    retired += outcome.Contributors!.Count(c => accountant.Participations(c) == participationLimit);
                }
                snapshots[version] = (buffer.Model.ToArray(), 0);
                if (snapshots[version - 1].Users == 0) snapshots.Remove(version - 1);
                var metrics = Measure(version);
                perVersion.Add(metrics);
                progress.RoundCompleted(metrics);
                if (options.TargetAccuracy > 0 && metrics.Accuracy >= options.TargetAccuracy)
                {
                    versionToTarget = version;
                    reason = $"target accuracy {options.TargetAccuracy:P1} reached in version {version}";
                    break;
                }
                if (clients.Length - retired < buffer.BufferSize)
                {
                    budgetExhausted = true;
                    reason = FormattableString.Invariant(
                        $"privacy budget: {retired} of {clients.Length} clients are in {participationLimit} versions, the most that keeps ε ≤ {options.DpEpsilonBudget:G4}; a version needs {buffer.BufferSize} clients");
                    break;
                }
            }
            Start();
        }

        BufferOutcome Deliver(ClientRun run, float[] baseModel)
        {
            var client = clients[run.Client];
            var watch = Stopwatch.StartNew();
            var result = trainer.Train(baseModel, client.Data.Load(), settings, ClientSeeds.For(options.Seed, (int)run.Sequence, client.ClientId), cancellationToken);
            window.TrainingSeconds += watch.Elapsed.TotalSeconds;
            var delta = new float[baseModel.Length];
            TensorPrimitives.Subtract(result.Parameters, baseModel, delta);
            window.BytesUp += bytes;
            var outcome = buffer.Add(client.ClientId, run.BaseVersion, delta, Math.Max(1, result.ExampleCount)); // an empty client's zero delta weighs 1
            if (outcome.DropReason is { } dropped)
            {
                var kind = dropped.StartsWith("staleness", StringComparison.Ordinal) ? "too stale" : dropped;
                drops[kind] = drops.GetValueOrDefault(kind) + 1;
                window.Dropped++;
            }
            else
            {
                window.Staleness.Add(outcome.Staleness);
                window.TrainLoss.Add(result.MeanLoss);
            }
            return outcome;
        }

        RoundMetrics Measure(int version)
        {
            var eval = evaluator.Evaluate(buffer.Model, data.Test);
            var wallNow = wall.Elapsed.TotalSeconds;
            var wallSeconds = wallNow - lastVersionWall;
            var metrics = new RoundMetrics(version, version, window.Started, window.Staleness.Count, window.Failed + window.Late, window.Dropped,
                eval.Accuracy, eval.Loss, window.TrainLoss.Count > 0 ? window.TrainLoss.Average() : double.NaN, RolledBack: false, Succeeded: true,
                wallSeconds, window.TrainingSeconds, wallSeconds > 0 ? Math.Clamp((wallSeconds - window.TrainingSeconds) / wallSeconds, 0, 1) : 0)
            {
                SimulatedSeconds = now - lastVersionAt,
                SimulatedTime = now,
                Epsilon = accountant?.Spent(options.DpDelta).Epsilon,
                BytesDown = window.BytesDown,
                BytesUp = window.BytesUp,
                Unavailable = 0,
                Failed = window.Failed,
                Late = window.Late,
                MeanStaleness = window.Staleness.Average(),
                MaxStaleness = window.Staleness.Max(),
            };
            (lastVersionAt, lastVersionWall) = (now, wallNow);
            window = new VersionWindow();
            return metrics;
        }

        var accuracies = perVersion.Select(r => r.Accuracy).ToArray();
        return new SimulationResult($"async-{options.Seed}", data.Description, options.Model, clients.Length, perVersion.Count,
            accuracies.LastOrDefault(), perVersion.LastOrDefault()?.Loss, accuracies.Length > 0 ? accuracies.Max() : null,
            accuracies, perVersion.Select(r => r.Loss).ToArray(), perVersion.Select(r => r.Participants).ToArray(),
            versionToTarget, options.TargetAccuracy, perVersion.Count > 0 ? perVersion.Average(r => r.OverheadShare) : 0,
            wall.Elapsed.TotalSeconds, reason, options.Seed)
        {
            PerRound = perVersion,
            Succeeded = succeeded,
            FinalVersion = buffer.Version,
            SimulatedSeconds = perVersion.LastOrDefault()?.SimulatedTime ?? 0,
            SimulatedSecondsToTarget = versionToTarget is { } v ? perVersion.First(r => r.Round == v).SimulatedTime : null,
            Mode = SimulationOptions.AsyncMode,
            Buffer = options.EffectiveBuffer,
            Concurrency = options.EffectiveConcurrency,
            MaxStaleness = options.MaxStaleness,
            Staleness = weighting.Name,
            DroppedUpdates = drops,
            DpMechanism = accountant is null ? null : "central",
            DpAccounting = accountant is null ? null : FormattableString.Invariant(
                $"per client, without amplification by subsampling: ε of a client in {accountant.MaxParticipations} versions, the most any client was in (limit {participationLimit})"),
            EpsilonSpent = accountant?.Spent(options.DpDelta).Epsilon,
            EpsilonBudget = accountant is null ? null : options.DpEpsilonBudget,
            Delta = accountant is null ? null : options.DpDelta,
            NoiseMultiplier = options.DpNoiseMultiplier,
            PrivacyBudgetExhausted = budgetExhausted,
        };
    }

    // A version's snapshot is kept while a client trains on it, and the current version's always.
    private static void Release(Dictionary<int, (float[] Model, int Users)> snapshots, int version, int current)
    {
        var (model, users) = snapshots[version];
        if (users <= 1 && version != current) snapshots.Remove(version);
        else snapshots[version] = (model, users - 1);
    }

    private static string Describe(Dictionary<string, int> drops) =>
        drops.Count == 0 ? "none" : string.Join(", ", drops.Select(d => $"{d.Value} {d.Key}"));

    /// <summary>What happened between two versions.</summary>
    private sealed class VersionWindow
    {
        public int Started, Failed, Late, Dropped;
        public long BytesDown, BytesUp;
        public double TrainingSeconds;
        public List<int> Staleness { get; } = [];
        public List<double> TrainLoss { get; } = [];
    }
}
