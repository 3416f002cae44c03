using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;
using FlMicroservices.Core.Selection;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Telemetry;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Selector;

/// <summary>Starts a task's next round: healthy clients, privacy check, sampling, <see cref="RoundStarted"/>; or ends the task.</summary>
/// <remarks>Design notes: docs/architecture.md, "Notes: RoundStarter".</remarks>
public sealed class RoundStarter(
    TaskSchedule schedule,
    IClientHealthStore health,
    IRequestClient<CheckPrivacyBudget> privacy,
    TimeProvider clock,
    IOptions<SelectorOptions> options,
    CommandSigning signing,
    SelectionTimings timings,
    ILogger<RoundStarter> logger)
{
    /// <summary>How often a Poisson draw below the minimum number of clients is repeated before the task gives up.</summary>
    public const int MaxPoissonDraws = 1_000;

    public async Task StartNextAsync(IPublishEndpoint publish, string taskId, int round, TaskModelState model, CancellationToken cancellationToken)
    {
        var entry = schedule.Find(taskId) ?? throw new InvalidOperationException($"Selector has not seen TaskCreated for task '{taskId}' yet.");
        if (entry.IsCompleted)
        {
            await entry.PublishPendingAsync(publish, cancellationToken); // a retry after TaskCompleted failed to go out
            return;
        }
        entry.RecordModel(model);
        var spec = entry.Spec;
        if (round > spec.Rounds)
        {
            await CompleteAsync(publish, entry, taskId, round - 1, model, TaskCompletion.AllRoundsReason(entry, spec.Rounds));
            return;
        }
        if (round <= entry.LastStartedRound)
        {
            await entry.PublishPendingAsync(publish, cancellationToken); // a redelivered trigger: the round is under way, its RoundStarted out or now sent
            return;
        }
        if (entry.TryHold(round, model))
        {
            await entry.SaveAsync(cancellationToken); // the held round starts on resume, after a restart too
            logger.LogInformation("Task {TaskId} is paused: round {Round} waits for resume", taskId, round);
            return;
        }

        var requirement = DatasetRequirement.For(spec);
        var (alive, healthy, lookup) = await WaitForClientsAsync(requirement, Math.Max(1, spec.MinClientsPerRound), cancellationToken);
        var poisson = spec.Sampling == ClientSampling.Poisson;
        var count = UniformSampler.ParticipantCount(healthy.Count, spec.ClientFraction, spec.MinClientsPerRound);
        if (healthy.Count == 0 || (!poisson && count < spec.MinClientsPerRound) || (poisson && healthy.Count < spec.MinClientsPerRound))
        {
            await CompleteAsync(publish, entry, taskId, round - 1, model,
                $"round {round} cannot start: {healthy.Count} of {alive.Count} healthy clients have {requirement}, {Math.Max(1, spec.MinClientsPerRound)} needed");
            return;
        }
        // Over-selection: more clients than the round needs; the aggregation closes once `needed` complete updates arrived.
        var needed = count;
        if (!poisson && spec.OverSelection > 0) count = Math.Min(healthy.Count, (int)Math.Ceiling(count * (1 + spec.OverSelection) - 1e-9));
        var sampleRate = poisson ? spec.ClientFraction : (double)count / healthy.Count;
        var decision = await privacy.GetResponse<PrivacyBudgetDecision>(new CheckPrivacyBudget(taskId, round, sampleRate), cancellationToken);
        // A decision the privacy accountant did not sign neither starts the round nor ends the task: the trigger is retried, as when no answer comes.
        if (signing.Refuses(decision.Message, logger))
            throw new InvalidOperationException($"Round {round} of task '{taskId}' did not start: its privacy budget decision was refused (the reason is logged).");
        if (!decision.Message.Allowed)
        {
            await CompleteAsync(publish, entry, taskId, round - 1, model, $"privacy budget: {decision.Message.Reason}");
            return;
        }
        if (!entry.TryClaimRound(round)) return;

        var sampling = System.Diagnostics.Stopwatch.StartNew();
        var rng = new Random(unchecked(spec.Seed * 1_000_003 + round));
        var participants = poisson ? PoissonSample(healthy, spec.ClientFraction, Math.Max(1, spec.MinClientsPerRound), rng)
            : spec.Selection is null or SelectionPolicies.Random ? UniformSampler.Sample(healthy, count, rng)
            : [.. SelectionPolicies.Create(spec.Selection, spec.RoundTimeout.TotalSeconds).Select(SelectionHistory.Of(entry.Rounds(), healthy), count, round, rng)];
        if (participants is null)
        {
            await CompleteAsync(publish, entry, taskId, round - 1, model,
                $"round {round} cannot start: {MaxPoissonDraws} Poisson draws at q = {spec.ClientFraction} over {healthy.Count} healthy clients " +
                $"all took fewer than {Math.Max(1, spec.MinClientsPerRound)}");
            return;
        }
        Array.Sort(participants, StringComparer.Ordinal);
        var selectionSeconds = lookup.TotalSeconds + sampling.Elapsed.TotalSeconds;
        FlTelemetry.ClientsSelected(taskId, selectionSeconds);
        timings.Record(taskId, round, selectionSeconds);
        logger.LogInformation("Task {TaskId} round {Round}: {Count} of {Healthy} healthy clients selected in {Milliseconds:F1} ms", taskId, round,
            participants.Length, healthy.Count, selectionSeconds * 1000);
        var expected = spec.Privacy is { Enabled: true, Mechanism: PrivacyMechanism.Central }
            ? entry.ExpectedClients(poisson ? spec.ClientFraction * healthy.Count : count)
            : (double?)null;
        RoundSettings settings;
        try
        {
            settings = RoundPlanner.Plan(spec, new RoundContext(round, healthy.Count, participants.Length, expected));
            if (count > needed) settings = settings with { TargetUpdates = needed };
        }
        catch (ArgumentException e)
        {
            await CompleteAsync(publish, entry, taskId, round - 1, model, $"round {round} cannot be planned: {e.Message}");
            return;
        }
        using var span = FlTelemetry.StartRound(taskId, round);
        // The claimed round, m and its RoundStarted are stored before RoundStarted goes out, with the same id on every retry.
        // Signed (in deployments with per-process broker accounts) so that nodes can tell it from a RoundStarted anyone else wrote.
        entry.SetStart(signing.Sign(new RoundStarted(taskId, round, model.Version, participants, clock.GetUtcNow() + spec.RoundTimeout,
            spec.Training, spec.Privacy, spec.SliceElements, spec.ModelName, spec.Strategy, spec.StrategyParameters, spec.Quorum, spec.Seed, spec.ByzantineShare,
            settings)));
        await entry.PublishPendingAsync(publish, cancellationToken);
    }

    /// <summary>
    /// The healthy clients and those of them that fit the task, once at least <paramref name="needed"/> fit (nodes that just
    /// started may still be registering), or after <see cref="SelectorOptions.ClientWait"/>.
    /// </summary>
    /// <returns>The healthy clients (only when too few fit; otherwise the capable ones), those that fit, and how long the last lookup took.</returns>
    private async Task<(IReadOnlyList<string> Alive, IReadOnlyList<string> Capable, TimeSpan Lookup)> WaitForClientsAsync(DatasetRequirement requirement,
        int needed, CancellationToken cancellationToken)
    {
        var until = clock.GetUtcNow() + options.Value.ClientWait;
        while (true)
        {
            var lookup = System.Diagnostics.Stopwatch.StartNew();
            var capable = await health.GetHealthyHoldingAsync(options.Value.HealthyWithin, requirement.IndexKey, cancellationToken);
            var elapsed = lookup.Elapsed;
            if (capable.Count >= needed) return (capable, capable, elapsed);
            // Too few: the healthy clients in all, for the operator's message.
            if (clock.GetUtcNow() >= until) return (await health.GetHealthyAsync(options.Value.HealthyWithin, cancellationToken), capable, elapsed);
            await Task.Delay(TimeSpan.FromSeconds(1), clock, cancellationToken);
        }
    }

    /// <summary>Each candidate independently with probability <paramref name="rate"/>; drawn again while fewer than <paramref name="minimum"/> are taken.</summary>
    /// <returns>The sample in candidate order, or null when <see cref="MaxPoissonDraws"/> draws all fell short.</returns>
    public static string[]? PoissonSample(IReadOnlyList<string> candidates, double rate, int minimum, Random rng)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(rng);
        var taken = new List<string>();
        for (var draw = 0; draw < MaxPoissonDraws; draw++)
        {
            taken.Clear();
            foreach (var candidate in candidates)
                if (rng.NextDouble() < rate) taken.Add(candidate);
            if (taken.Count >= minimum) return [.. taken];
        }
        return null;
    }

    private Task CompleteAsync(IPublishEndpoint publish, TaskSchedule.Entry entry, string taskId, int rounds, TaskModelState model, string reason) =>
        TaskCompletion.PublishAsync(publish, entry, taskId, rounds, model, reason, signing, clock, logger);
}
