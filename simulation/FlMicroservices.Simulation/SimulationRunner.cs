using System.Diagnostics;
using System.Globalization;
using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.ModelRegistry;
using FlMicroservices.Node;
using FlMicroservices.PrivacyAccounting;
using FlMicroservices.Registry;
using FlMicroservices.Reward;
using FlMicroservices.Selector;
using FlMicroservices.Simulation.Attacks;
using FlMicroservices.Training;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Simulation;

/// <summary>Runs all six services and a node of virtual clients in one process (embedded mode) for one federated task.</summary>
public static class SimulationRunner
{
    /// <summary>Runs one task; <paramref name="host"/> builds the process that hosts it (by default a plain host; `fl simulate --dashboard` serves the dashboard from it).</summary>
    public static async Task<SimulationResult> RunAsync(SimulationOptions options, ISimulationProgress? progress = null, EventLog? events = null,
        CancellationToken cancellationToken = default, IEmbeddedHostFactory? host = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        progress ??= NoProgress.Instance;
        events ??= new EventLog();
        var wall = Stopwatch.StartNew();

        // Fix libtorch's process-wide thread count before anything evaluates a model, so that every
        // evaluation and every training step of every run in this process uses the same kernels.
        Training.TorchRuntime.EnsureInitialized(1);
        var data = options.LoadData();
        progress.DataLoaded(data.Description, data.ClientTrain.Count);
        var clients = VirtualClients.Create(data, options);
        var taskId = $"sim-{DateTime.UtcNow:yyyyMMddHHmmss}-{options.Seed}-{Guid.NewGuid():N}"[..40];

        using var platform = (host ?? GenericEmbeddedHost.Instance).Build(new EmbeddedHostSetup(options, clients, VirtualClients.Attacks(data, options), data, events));
        await platform.StartAsync(cancellationToken);
        try
        {
            var bus = platform.Services.GetRequiredService<IBus>();
            await WaitForRegistrationsAsync(events, clients.Length, progress, cancellationToken);
            var spec = new TaskSpec
            {
                ModelName = options.Model,
                SampleShape = data.Test.Shape,
                ClassCount = data.Test.ClassCount,
                Rounds = options.Rounds,
                ClientFraction = options.Fraction,
                // The selection is known up front (every simulated client is healthy); a robust strategy's round-size check needs it.
                MinClientsPerRound = Core.Aggregation.Robust.RobustStrategies.IsRobust(options.Strategy) ? options.SelectedPerRound() : options.SecAgg is null ? 1 : 3,
                Quorum = options.Quorum,
                ByzantineShare = options.ByzantineShare,
                RoundTimeout = options.RoundTimeout,
                Training = new TrainingConfig(options.LocalEpochs, options.BatchSize, options.LearningRate, options.ProximalMu), // FedProx plans its own μ when 0
                Strategy = options.Strategy,
                StrategyParameters = new Dictionary<string, string>(options.StrategyParameters),
                Seed = options.Seed,
                Sampling = options.SamplingMode(),
                Privacy = options.Privacy(),
                Signing = options.Signing,
                Selection = options.Selection,
                OverSelection = options.OverSelection,
                LateUpdates = options.LateUpdates,
                Compression = options.Compression,
            };
            await bus.Publish(new CreateTask(taskId, spec), cancellationToken);
            var result = await FollowAsync(taskId, options, data, events, progress, platform.Services.GetRequiredService<NodeStatistics>(),
                platform.Services.GetRequiredService<SelectionTimings>(),
                platform.Services.GetService<Clock.SimulatedClock>(), wall, cancellationToken);
            return await ExportBestAsync(result, spec, options, platform.Services.GetRequiredService<IModelStore>(), cancellationToken);
        }
        finally
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await platform.StopAsync(stopping.Token);
        }
    }

    /// <summary>Writes the best validated version to &lt;out&gt;/best-model (weights.bin and manifest.json).</summary>
    private static async Task<SimulationResult> ExportBestAsync(SimulationResult result, TaskSpec spec, SimulationOptions options, IModelStore store,
        CancellationToken cancellationToken)
    {
        if (result.BestVersion is not { } best) return result;
        var folder = Path.GetFullPath(Path.Combine(options.OutDir, "best-model"));
        await ModelExport.WriteAsync(store, result.TaskId, spec, best, folder, cancellationToken);
        return result with { BestModelFolder = folder };
    }

    /// <summary>
    /// The six services and a node of <paramref name="clients"/> in one process, on the embedded adapters (in-memory bus,
    /// in-process stream, the services' state in memory unless Storage:State is set; services registered before this call,
    /// such as a stream of one's own, take precedence), with the <see cref="EventObserver"/> recording every event into the
    /// <see cref="EventLog"/> the caller registered; <paramref name="consumers"/> adds consumers of the caller's own to the same bus.
    /// </summary>
    public static void AddEmbeddedPlatform(IServiceCollection services, IConfiguration configuration, IEnumerable<HostedClient> clients,
        Action<IBusRegistrationConfigurator>? consumers = null)
    {
        services.AddFlMessaging(configuration, bus =>
        {
            AddEmbeddedServiceConsumers(bus);
            bus.AddNodeConsumers();
            consumers?.Invoke(bus);
        });
        AddEmbeddedServices(services, configuration);
        services.AddNode(configuration, clients);
    }

    /// <summary>The six services' consumers and the <see cref="EventObserver"/>, for a bus that hosts them all (this one, or an edge's in tests).</summary>
    public static void AddEmbeddedServiceConsumers(IBusRegistrationConfigurator bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        bus.AddRegistryConsumers();
        bus.AddSelectorConsumers();
        bus.AddAggregationConsumers();
        bus.AddPrivacyAccountingConsumers();
        bus.AddModelRegistryConsumers();
        bus.AddRewardConsumers();
        bus.AddConsumer<EventObserver, EventObserverDefinition>();
    }

    /// <summary>The six services on the embedded adapters, without a bus or a node (see <see cref="AddEmbeddedPlatform"/>).</summary>
    public static void AddEmbeddedServices(IServiceCollection services, IConfiguration configuration)
    {
        // One process, one run: the services' state lives as long as it unless Storage:State names a store (docs/state.md).
        if (configuration["Storage:State"] is null) services.TryAddSingleton<IStateStoreFactory>(new EmbeddedStateStores("", inMemory: true));
        services.AddFlInfrastructure(configuration);
        services.AddRegistryService();
        services.AddSelectorService(configuration);
        services.AddAggregationService();
        services.AddPrivacyAccountingService();
        services.AddModelRegistryService();
        services.AddRewardService(configuration);
    }

    /// <summary>Waits until every virtual client is registered; fails when none registered for <see cref="RegistrationStall"/>.</summary>
    private static async Task WaitForRegistrationsAsync(EventLog events, int expected, ISimulationProgress progress, CancellationToken cancellationToken)
    {
        var registered = 0;
        var watch = Stopwatch.StartNew();
        while (registered < expected)
        {
            using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            stall.CancelAfter(RegistrationStall);
            ObservedEvent observed;
            try { observed = await events.Live.ReadAsync(stall.Token); }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Only {registered} of {expected} virtual clients registered; none for {RegistrationStall.TotalSeconds:F0} s.");
            }
            if (observed.Message is ClientRegistered && ++registered % 10_000 == 0) progress.Registering(registered, expected);
            if (observed.Message is ClientRejected rejected) throw new InvalidOperationException($"Client {rejected.ClientId} was rejected: {rejected.Reason}");
        }
        progress.Registered(expected, watch.Elapsed.TotalSeconds);
    }

    /// <summary>How long registration may make no progress before the run fails.</summary>
    public static readonly TimeSpan RegistrationStall = TimeSpan.FromSeconds(60);

    private static async Task<SimulationResult> FollowAsync(string taskId, SimulationOptions options, FederatedData data, EventLog events,
        ISimulationProgress progress, NodeStatistics nodeStats, SelectionTimings selection, Clock.SimulatedClock? clock, Stopwatch wall, CancellationToken cancellationToken)
    {
        var perRound = new List<RoundMetrics>();
        var started = new Dictionary<int, (DateTimeOffset At, int Participants)>();
        var received = new Dictionary<int, int>();
        var privacy = new PrivacyProgress(options.DpNoiseMultiplier is not null);
        int? roundsToTarget = null;
        var reason = "unknown";
        var model = (Best: (int?)null, BestAccuracy: (double?)null);
        var silence = options.RoundTimeout + TimeSpan.FromMinutes(2);
        while (true)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(silence);
            ObservedEvent observed;
            try { observed = await events.Live.ReadAsync(wait.Token); }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"No platform event for {silence.TotalSeconds:F0} s; the simulation is stuck after round {perRound.Count}.");
            }
            if (privacy.Observe(taskId, observed.Message)) continue;
            switch (observed.Message)
            {
                case TaskRejected rejected when rejected.TaskId == taskId:
                    throw new InvalidOperationException($"The platform rejected the task: {rejected.Reason}");
                case RoundStarted round when round.TaskId == taskId:
                    started[round.Round] = (observed.SeenAt, round.Participants.Length);
                    received[round.Round] = 0;
                    progress.RoundStarted(round.Round, round.Participants.Length);
                    break;
                case UpdateSubmitted update when update.TaskId == taskId:
                    received[update.Round] = received.GetValueOrDefault(update.Round) + 1;
                    progress.UpdateReceived(update.Round, received[update.Round], started.GetValueOrDefault(update.Round).Participants);
                    break;
                case RoundCompleted completed when completed.TaskId == taskId:
                    if (completed.BestModelVersion is not null) model = (completed.BestModelVersion, completed.BestAccuracy);
                    var metrics = Timed(Measure(completed, observed.SeenAt, started, nodeStats), clock?.Round(completed.Round))
                        with { SelectionSeconds = selection.SecondsOf(taskId, completed.Round) };
                    perRound.Add(metrics);
                    progress.RoundCompleted(metrics);
                    if (options.TargetAccuracy > 0 && roundsToTarget is null && completed.Accuracy >= options.TargetAccuracy)
                    {
                        roundsToTarget = completed.Round;
                        reason = $"target accuracy {options.TargetAccuracy:P1} reached in round {completed.Round}";
                        await privacy.AwaitRoundsAsync(taskId, perRound, events, cancellationToken);
                        return Summarise(taskId, options, data, perRound, roundsToTarget, reason, wall, privacy, succeeded: true, model, clock);
                    }
                    break;
                case TaskCompleted done when done.TaskId == taskId:
                    reason = done.Reason;
                    if (done.BestModelVersion is not null) model = (done.BestModelVersion, done.BestAccuracy);
                    await privacy.AwaitRoundsAsync(taskId, perRound, events, cancellationToken);
                    return Summarise(taskId, options, data, perRound, roundsToTarget, reason, wall, privacy, done.Succeeded, model, clock);
            }
        }
    }

    /// <summary>What the privacy accountant reported about the task: ε after each round, and whether the budget ran out.</summary>
    private sealed class PrivacyProgress(bool enabled)
    {
        /// <summary>How long to wait, once the task has ended, for the accountant's report on the last rounds (it is published concurrently).</summary>
        private static readonly TimeSpan ReportWait = TimeSpan.FromSeconds(30);

        public bool Enabled { get; } = enabled;
        public Dictionary<int, double> EpsilonByRound { get; } = [];

        // Rounds whose PrivacyBudgetUpdated and RewardsIssued were seen (both follow every RoundCompleted, DP or not).
        private readonly HashSet<int> _accounted = [];
        private readonly HashSet<int> _rewarded = [];
        public PrivacyBudgetExhausted? Exhausted { get; private set; }

        /// <summary>Records a privacy event of the task; true when the message was one.</summary>
        public bool Observe(string taskId, object message)
        {
            switch (message)
            {
                case PrivacyBudgetUpdated updated when updated.TaskId == taskId:
                    if (updated.DifferentialPrivacy) EpsilonByRound[updated.Round] = updated.EpsilonSpent;
                    _accounted.Add(updated.Round);
                    return true;
                case RewardsIssued rewards when rewards.TaskId == taskId:
                    _rewarded.Add(rewards.Round);
                    return true;
                case PrivacyBudgetExhausted exhausted when exhausted.TaskId == taskId:
                    Exhausted = exhausted;
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>
        /// Reads on until the accountant and the reward service have reported every completed round (at most
        /// <see cref="ReportWait"/>; they are published concurrently with the task's end), so that the run's event log
        /// is whole when it returns.
        /// </summary>
        public async Task AwaitRoundsAsync(string taskId, List<RoundMetrics> rounds, EventLog events, CancellationToken cancellationToken)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(ReportWait);
            try
            {
                while (rounds.Any(r => !_accounted.Contains(r.Round) || !_rewarded.Contains(r.Round)))
                    Observe(taskId, (await events.Live.ReadAsync(wait.Token)).Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The summary then reports what arrived.
            }
        }
    }

    private static RoundMetrics Measure(RoundCompleted completed, DateTimeOffset seenAt, Dictionary<int, (DateTimeOffset At, int Participants)> started,
        NodeStatistics nodeStats)
    {
        var begin = started.GetValueOrDefault(completed.Round);
        var roundWall = begin.At == default ? 0 : (seenAt - begin.At).TotalSeconds;
        var training = nodeStats.TrainingSeconds(completed.TaskId, completed.Round) ?? 0;
        var overhead = roundWall > 0 ? Math.Clamp((roundWall - training) / roundWall, 0, 1) : 0;
        var trainLoss = completed.Contributors.Length > 0 ? completed.Contributors.Average(c => c.TrainLoss) : double.NaN;
        return new RoundMetrics(completed.Round, completed.ModelVersion, completed.Participants.Length, completed.Contributors.Length,
            completed.Dropouts.Length, completed.Rejected.Length, completed.Accuracy, completed.Loss, trainLoss, completed.RolledBack,
            completed.Succeeded, roundWall, training, overhead)
        {
            BytesUp = nodeStats.UpdateBytes(completed.TaskId, completed.Round),
            LateFolded = completed.Contributors.Count(c => c.LateFrom is not null) is > 0 and var folded ? folded : null,
        };
    }

    // The round in simulated time, as the node's clocked participation recorded it before the round's updates went out.
    private static RoundMetrics Timed(RoundMetrics metrics, Clock.SimulatedRound? round) => round is null ? metrics : metrics with
    {
        SimulatedSeconds = round.Seconds,
        SimulatedTime = round.End,
        BytesDown = round.BytesDown,
        BytesUp = metrics.BytesUp ?? round.BytesUp, // what the clients' slices took on the stream, compressed or not
        Unavailable = round.Unavailable,
        Failed = round.Failed,
        Late = round.Late,
    };

    private static long PeakWorkingSet()
    {
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }

    private static SimulationResult Summarise(string taskId, SimulationOptions options, FederatedData data, List<RoundMetrics> rounds,
        int? roundsToTarget, string reason, Stopwatch wall, PrivacyProgress privacy, bool succeeded, (int? Version, double? Accuracy) best,
        Clock.SimulatedClock? clock)
    {
        if (privacy.Enabled)
            rounds = rounds.Select(r => r with { Epsilon = privacy.EpsilonByRound.TryGetValue(r.Round, out var e) ? e : null }).ToList();
        double? spent = privacy.EpsilonByRound.Count > 0 ? privacy.EpsilonByRound.MaxBy(p => p.Key).Value : privacy.Enabled ? 0 : null;
        var accuracies = rounds.Select(r => r.Accuracy).ToArray();
        return new SimulationResult(taskId, data.Description, options.Model, data.ClientTrain.Count, rounds.Count,
            accuracies.LastOrDefault(), rounds.LastOrDefault()?.Loss, best.Accuracy ?? accuracies.Max(),
            accuracies, rounds.Select(r => r.Loss).ToArray(), rounds.Select(r => r.Participants).ToArray(),
            roundsToTarget, options.TargetAccuracy, rounds.Count > 0 ? rounds.Average(r => r.OverheadShare) : 0,
            wall.Elapsed.TotalSeconds, reason, options.Seed)
        {
            PerRound = rounds,
            DpMechanism = privacy.Enabled ? (options.DpLocal ? "local" : "central") : null,
            EpsilonSpent = spent,
            EpsilonBudget = privacy.Enabled ? options.DpEpsilonBudget : null,
            Delta = privacy.Enabled ? options.DpDelta : null,
            NoiseMultiplier = privacy.Enabled ? options.DpNoiseMultiplier : null,
            NoiseCalibrated = privacy.Enabled && options.DpNoiseCalibrated,
            PrivacyBudgetExhausted = privacy.Exhausted is not null,
            Succeeded = succeeded,
            BestVersion = best.Version,
            FinalVersion = rounds.LastOrDefault()?.ModelVersion,
            SimulatedSeconds = clock is null ? null : rounds.LastOrDefault()?.SimulatedTime ?? 0,
            SimulatedSecondsToTarget = roundsToTarget is { } target ? rounds.FirstOrDefault(r => r.Round == target)?.SimulatedTime : null,
            PeakMemoryBytes = PeakWorkingSet(),
        };
    }
}
