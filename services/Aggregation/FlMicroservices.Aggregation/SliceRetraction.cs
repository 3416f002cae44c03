using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation;

/// <summary>Takes a rejected client's folded slices back out of its round, reading them again from the update stream.</summary>
/// <param name="reader">Reads records back by position; without one the slices stay folded and the round's report says so.</param>
public sealed class SliceRetraction(ILogger<SliceRetraction> logger, IUpdateStreamReader? reader = null)
{
    /// <summary>Retracts every client the round has newly rejected; a slice that cannot be read or does not match stays in, with the reason.</summary>
    public async Task RetractRejectedAsync(RoundAggregation round, CancellationToken cancellationToken)
    {
        foreach (var pending in round.TakeRetractions())
        {
            if (reader is null || pending.Slices.Any(s => s.Position is null))
            {
                round.RetractionFailed(pending.ClientId, reader is null ? "no stream reader to read them back" : "their stream positions are unknown");
                continue;
            }
            try
            {
                var records = await reader.ReadAsync(pending.Slices.Select(s => s.Position!.Value).ToList(), cancellationToken);
                var taken = 0;
                for (var i = 0; i < records.Count; i++)
                {
                    var slice = UpdateSliceCodec.Decode(records[i].Value);
                    if (slice.TaskId != round.Started.TaskId || slice.Round != (pending.LateFrom ?? round.Started.Round) || slice.ClientId != pending.ClientId
                        || slice.SliceIndex != pending.Slices[i].SliceIndex || !round.Retract(slice))
                        round.RetractionFailed(pending.ClientId, $"the record read back for slice {pending.Slices[i].SliceIndex} is not the slice that was folded");
                    else taken++;
                }
                logger.LogInformation("Rejected client {Client} of {Task}/{Round}: {Taken} folded slices taken back out of the aggregate",
                    pending.ClientId, round.Started.TaskId, round.Started.Round, taken);
            }
            catch (Exception e) when (e is UpdateStreamReadException or MalformedSliceException)
            {
                round.RetractionFailed(pending.ClientId, e.Message);
                logger.LogWarning("Slices of rejected client {Client} of {Task}/{Round} could not be taken back: {Reason}",
                    pending.ClientId, round.Started.TaskId, round.Started.Round, e.Message);
            }
        }
    }
}
