using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Selection;
using FlMicroservices.Infrastructure.Health;
using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Selector;

/// <summary>Starts a task's next round: healthy clients, privacy check, sampling, <see cref="RoundStarted"/>; or ends the task.</summary>
public sealed class RoundStarter(
    TaskSchedule schedule,
    IClientHealthStore health,
    IRequestClient<CheckPrivacyBudget> privacy,
    TimeProvider clock,
    IOptions<SelectorOptions> options,
    ILogger<RoundStarter> logger)
{
    public async Task StartNextAsync(IPublishEndpoint publish, string taskId, int round, int modelVersion, double? lastAccuracy, CancellationToken cancellationToken)
    {
        var entry = schedule.Find(taskId) ?? throw new InvalidOperationException($"Selector has not seen TaskCreated for task '{taskId}' yet.");
        if (entry.IsCompleted) return;
        var spec = entry.Spec;
        if (round > spec.Rounds)
        {
            await CompleteAsync(publish, entry, taskId, round - 1, modelVersion, lastAccuracy, "all rounds completed");
            return;
        }
        if (round <= entry.LastStartedRound) return; // a redelivered trigger: this round is already under way

        var healthy = await health.GetHealthyAsync(options.Value.HealthyWithin, cancellationToken);
        var count = UniformSampler.ParticipantCount(healthy.Count, spec.ClientFraction, spec.MinClientsPerRound);
        if (healthy.Count == 0 || count < spec.MinClientsPerRound)
        {
            await CompleteAsync(publish, entry, taskId, round - 1, modelVersion, lastAccuracy,
                $"round {round} cannot start: {healthy.Count} healthy clients, {spec.MinClientsPerRound} needed");
            return;
        }
        var sampleRate = (double)count / healthy.Count;
        var decision = await privacy.GetResponse<PrivacyBudgetDecision>(new CheckPrivacyBudget(taskId, round, sampleRate), cancellationToken);
        if (!decision.Message.Allowed)
        {
            await CompleteAsync(publish, entry, taskId, round - 1, modelVersion, lastAccuracy, $"privacy budget: {decision.Message.Reason}");
            return;
        }
        if (!entry.TryClaimRound(round)) return;

        var rng = new Random(unchecked(spec.Seed * 1_000_003 + round));
        var participants = UniformSampler.Sample(healthy, count, rng);
        Array.Sort(participants, StringComparer.Ordinal);
        logger.LogInformation("Task {TaskId} round {Round}: {Count} of {Healthy} healthy clients selected", taskId, round, count, healthy.Count);
        await publish.Publish(new RoundStarted(taskId, round, modelVersion, participants, clock.GetUtcNow() + spec.RoundTimeout,
            spec.Training, spec.Privacy, spec.SliceElements, spec.ModelName, spec.Strategy, spec.StrategyParameters, spec.Quorum, spec.Seed), cancellationToken);
    }

    private async Task CompleteAsync(IPublishEndpoint publish, TaskSchedule.Entry entry, string taskId, int rounds, int modelVersion, double? accuracy, string reason)
    {
        if (!entry.TryComplete()) return;
        logger.LogInformation("Task {TaskId} completed after {Rounds} rounds: {Reason}", taskId, rounds, reason);
        await publish.Publish(new TaskCompleted(taskId, rounds, modelVersion, accuracy, reason, clock.GetUtcNow()));
    }
}
