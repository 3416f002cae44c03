using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Registry;

/// <summary>
/// Counts, per client, the rounds in a row it was selected for and uploaded nothing, and demotes it (unhealthy, so the selector
/// skips it) once <see cref="DemotionOptions.AfterMissedRounds"/> is reached; an upload, accepted or rejected, resets the count, and a
/// decline (<see cref="UpdateDeclined"/>) neither counts nor resets.
/// </summary>
public sealed class ParticipationRecord(IClientHealthStore health, IOptions<DemotionOptions> options, TimeProvider clock, ILogger<ParticipationRecord> logger)
{
    public async Task RecordAsync(RoundCompleted round, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        var limit = options.Value.AfterMissedRounds;
        if (limit == 0 || round.Participants is null) return;
        var uploaded = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in round.Contributors ?? []) uploaded.Add(c.ClientId);
        foreach (var r in round.Rejected ?? []) uploaded.Add(r.ClientId);
        // A client that declined said so (outside its window, or the round closed without it): that is not silence.
        var missed = new HashSet<string>(round.Dropouts ?? [], StringComparer.Ordinal);
        missed.ExceptWith((round.Declined ?? []).Select(d => d.ClientId));
        var key = $"{round.TaskId}/{round.Round}";
        var counted = round.Participants.Where(id => uploaded.Contains(id) || missed.Contains(id)).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var known in await health.GetManyAsync(counted, cancellationToken))
        {
            var id = known.ClientId;
            if (known.Status == ClientStatus.Removed) continue;
            if (uploaded.Contains(id))
            {
                if (known.MissedRounds > 0) await health.UpsertAsync(known with { MissedRounds = 0, LastMissedRound = null }, cancellationToken);
            }
            else if (missed.Contains(id) && known.LastMissedRound != key)
            {
                await health.UpsertAsync(Missed(known, key, limit), cancellationToken);
            }
        }
    }

    /// <summary>The record after one more missed round: demoted when the count reaches <paramref name="limit"/>.</summary>
    private ClientHealth Missed(ClientHealth known, string round, int limit)
    {
        var count = known.MissedRounds + 1;
        if (count < limit) return known with { MissedRounds = count, LastMissedRound = round };
        var until = clock.GetUtcNow() + options.Value.Period;
        logger.LogWarning("Client {ClientId} demoted until {Until:u}: selected for {Count} rounds in a row (the last {Round}) and uploaded nothing",
            known.ClientId, until, count, round);
        return known with { Status = ClientStatus.Unhealthy, MissedRounds = count, LastMissedRound = round, DemotedUntil = until };
    }
}
