using System.Diagnostics;
using System.Numerics.Tensors;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Telemetry;
using FlMicroservices.Training;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Node;

/// <summary>What a node does when a round starts: each selected hosted client trains, then streams its update and manifest.</summary>
/// <remarks>
/// Clients train in parallel but submit in participant order, so a simulation with a given seed folds updates
/// in the same order every time and its results repeat exactly.
/// </remarks>
public sealed class RoundParticipation(
    HostedClients clients,
    TrainerPool trainers,
    NodeStatistics statistics,
    IModelVersionReader models,
    IUpdateUplink uplink,
    ScaffoldClientState scaffold,
    SecAgg.SecureRoundParticipation secure,
    Privacy.PrivacyPins pins,
    CommandSigning signing,
    IParticipationGate gate,
    LateUploads late,
    IOptions<NodeOptions> options,
    ILogger<RoundParticipation> logger)
{
    public async Task RunAsync(RoundStarted round, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var mine = round.Participants.Select(clients.Find).OfType<HostedClient>().ToArray();
        if (mine.Length == 0) return;
        // The selector's signature first: a forged round must not pin its privacy settings as the task's.
        if ((signing.Problem(round) ?? await pins.CheckAsync(round, cancellationToken)) is { } refused)
        {
            logger.LogWarning("Node refuses {Task}/{Round} for its {Clients} selected clients: {Reason}", round.TaskId, round.Round, mine.Length, refused);
            return;
        }
        var roundWatch = Stopwatch.StartNew();
        var admission = gate.Admit(round, mine);
        var active = admission.Admitted.ToArray();
        foreach (var declined in admission.Declined) await DeclineAsync(round, declined.Client.ClientId, declined.Reason, declined.Seconds, publish, cancellationToken);
        if (active.Length + admission.Declined.Count < mine.Length)
            logger.LogInformation("Round {Round}: {Dropped} simulated dropouts", round.Round, mine.Length - active.Length - admission.Declined.Count);
        var stored = await models.LoadWeightsAsync(round.TaskId, round.ModelVersion, cancellationToken);
        var parallelism = options.Value.Parallelism;
        if (options.Value.MemoryBudgetMb > 0 && active.Length > 0)
        {
            // Before the secure protocol counts on them: clients that cannot train within the budget decline now.
            var perClient = MemoryBudget.PerClientBytes(stored.Length, active.Max(c => (long)c.Data.Count * c.Data.Shape.Aggregate(1L, (a, b) => a * b)));
            using var process = Process.GetCurrentProcess();
            var (fitting, decline) = MemoryBudget.Plan((long)options.Value.MemoryBudgetMb << 20, process.WorkingSet64, perClient, parallelism);
            if (decline is not null)
            {
                foreach (var client in active) await DeclineAsync(round, client.ClientId, decline, null, publish, cancellationToken);
                active = [];
            }
            else if (fitting < parallelism)
            {
                logger.LogInformation("Round {Round}: {Slots} of {Parallelism} clients train at once within the memory budget of {Budget} MiB", round.Round, fitting,
                    parallelism, options.Value.MemoryBudgetMb);
                parallelism = fitting;
            }
        }
        await secure.BeginAsync(round, mine, active, publish, cancellationToken); // secure aggregation only: keys go out now

        var scaffoldRound = scaffold.Begin(round, stored); // SCAFFOLD: the stored model is [x ; c]; clients train x
        var global = scaffoldRound?.Weights ?? stored;
        var watch = Stopwatch.StartNew();
        using var slots = new SemaphoreSlim(parallelism);
        var training = active.Select(client => Task.Run(async () =>
        {
            await slots.WaitAsync(cancellationToken);
            try { return Train(round, client, global, scaffoldRound, cancellationToken); }
            finally { slots.Release(); }
        }, cancellationToken)).ToArray();

        var results = await Task.WhenAll(training);
        NativeHeap.Trim(); // libtorch's freed step buffers back to the system, so a long run stays flat (docs/benchmarks.md)
        statistics.RecordTraining(round.TaskId, round.Round, watch.Elapsed.TotalSeconds);
        if (options.Value.SubmitDelay > TimeSpan.Zero) await Task.Delay(options.Value.SubmitDelay, cancellationToken);
        // A secure round's protocol has already counted on every admitted client; the gate's stragglers apply to plain rounds.
        var verdicts = SecAgg.SecureRoundParticipation.Handles(round)
            ? Enumerable.Repeat(SubmitVerdict.Send, active.Length).ToArray()
            : gate.Submit(round, mine, active, results.Select(r => (long)r.Result.ExampleCount * round.Training.LocalEpochs).ToArray(), stored.Length);
        // The previous round's held updates, taken before this round's late ones are held (holding drops older rounds').
        var held = late.Take(round.TaskId, round.Round - 1);
        // Declines go out before any update: with over-selection the fresh updates can close the round, and a participant the round
        // had not heard from by then would be recorded as silent (a missed round) instead of declined.
        for (var i = 0; i < active.Length; i++)
        {
            if (verdicts[i] is { Sends: false, SendsAfterClose: true, DeclineReason: { } lateReason })
            {
                await DeclineAsync(round, active[i].ClientId, lateReason, verdicts[i].Seconds, publish, cancellationToken);
                late.Hold(new LateUpload(round, active[i].ClientId, DeltaOf(active[i].ClientId, global, scaffoldRound, results[i].Result), results[i].Result.ExampleCount,
                    new LocalMetrics(results[i].Result.MeanLoss, results[i].Seconds, results[i].Result.Steps, verdicts[i].Seconds ?? roundWatch.Elapsed.TotalSeconds)));
            }
            else if (verdicts[i] is { Sends: false, DeclineReason: { } reason })
                await DeclineAsync(round, active[i].ClientId, reason, verdicts[i].Seconds, publish, cancellationToken);
        }
        // Updates held back from the previous round go next, so that they reach this round before its fresh updates can close it.
        foreach (var upload in held)
            if (gate.ArrivesBeforeClose(round, upload.Round.Round, upload.ClientId))
                await uplink.SendAsync(upload.Round, upload.ClientId, upload.Delta, upload.ExampleCount, upload.Metrics, publish, cancellationToken);
        for (var i = 0; i < active.Length; i++)
            if (verdicts[i].Sends)
                await SubmitAsync(round, active[i], global, scaffoldRound, results[i].Result,
                    new LocalMetrics(results[i].Result.MeanLoss, results[i].Seconds, results[i].Result.Steps, verdicts[i].Seconds ?? roundWatch.Elapsed.TotalSeconds),
                    publish, cancellationToken);
    }

    // Tells the aggregation not to wait for the client (docs/simulated-clock.md, "Declines").
    private async Task DeclineAsync(RoundStarted round, string clientId, string reason, double? seconds, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        logger.LogInformation("{Client} declines {Task}/{Round}: {Reason}", clientId, round.TaskId, round.Round, reason);
        await publish.Publish(new UpdateDeclined(round.TaskId, round.Round, clientId, reason, seconds), cancellationToken);
    }

    private (TrainResult Result, double Seconds) Train(RoundStarted round, HostedClient client, float[] global, ScaffoldRound? scaffoldRound, CancellationToken cancellationToken)
    {
        var shape = client.Data.Shape;
        var trainer = trainers.Rent(round.ModelName, shape, client.Data.ClassCount);
        try
        {
            var settings = new TrainingSettings(round.Training.LocalEpochs, round.Training.BatchSize, round.Training.LearningRate)
            {
                ProximalMu = RoundPlan.SettingsOf(round).ProximalMu,
                ControlCorrection = scaffoldRound?.CorrectionFor(client.ClientId),
                DpSgd = LocalDpFor(round, client.ClientId),
            };
            var watch = Stopwatch.StartNew();
            var result = trainer.Train(global, client.Data.Load(), settings, ClientSeeds.For(round.Seed, round.Round, client.ClientId), cancellationToken);
            FlTelemetry.ClientTrained(watch.Elapsed.TotalSeconds);
            return (result, watch.Elapsed.TotalSeconds);
        }
        finally
        {
            trainers.Return(round.ModelName, shape, client.Data.ClassCount, trainer);
        }
    }

    /// <summary>
    /// DP-SGD settings when the round asks for local differential privacy (<see cref="PrivacyMechanism.Local"/>): per-example
    /// clipping to the task's clipping norm and noise with its noise multiplier. The noise comes from the operating system's
    /// CSPRNG unless the task carries a noise seed (simulations), from which each client and round gets its own stream.
    /// </summary>
    public static DpSgdSettings? LocalDpFor(RoundStarted round, string clientId)
    {
        ArgumentNullException.ThrowIfNull(round);
        if (round.Privacy is not { Enabled: true, Mechanism: PrivacyMechanism.Local } privacy) return null;
        return new DpSgdSettings(privacy.NoiseMultiplier, privacy.ClippingNorm)
        {
            NoiseSeed = privacy.NoiseSeed is { } seed
                ? ((long)ClientSeeds.For(unchecked((int)seed ^ (int)(seed >> 32)), round.Round, clientId + "/dp-sgd") << 32) ^ seed
                : null,
        };
    }

    private static float[] DeltaOf(string clientId, float[] global, ScaffoldRound? scaffoldRound, TrainResult result)
    {
        if (scaffoldRound is not null) return scaffoldRound.Delta(clientId, result); // [y - x ; c_i+ - c_i], 2P values
        var delta = new float[global.Length];
        TensorPrimitives.Subtract(result.Parameters, global, delta);
        return delta;
    }

    private async Task SubmitAsync(RoundStarted round, HostedClient client, float[] global, ScaffoldRound? scaffoldRound, TrainResult result, LocalMetrics metrics, IPublishEndpoint publish, CancellationToken cancellationToken)
    {
        var clientId = client.ClientId;
        var delta = DeltaOf(clientId, global, scaffoldRound, result);
        await uplink.SendAsync(round, clientId, delta, result.ExampleCount, metrics, publish, cancellationToken);
        if (!SecAgg.SecureRoundParticipation.Handles(round))
            scaffoldRound?.Commit(clientId); // SCAFFOLD: the client keeps c_i+ once its update is out
    }
}
