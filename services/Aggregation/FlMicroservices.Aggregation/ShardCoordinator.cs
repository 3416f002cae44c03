using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Aggregation.Robust;
using FlMicroservices.Core.Planning;

namespace FlMicroservices.Aggregation;

/// <summary>
/// The coordinator's part of sharded aggregation: combines every shard's report of a round into one decision (who is out,
/// who contributed, whom a distance-based strategy selects) and assembles the next model from the shards' slices.
/// </summary>
/// <remarks>
/// The decision applies the checks a single instance applies to a whole update, from the shards' parts of it: a rejection
/// by any shard, the manifest digest over every slice's checksum, and the norm-outlier limit on the norm summed from the
/// shards' partial sums of squares. A round whose plan needs whole-update norms (<see cref="RoundSettings.WholeUpdateNorms"/>:
/// norm bounding, DP-FedAvg scale each update by its whole norm while folding it), which no shard knows, fails with that reason.
/// </remarks>
public static class ShardCoordinator
{
    /// <summary>The outcome of combining the reports.</summary>
    public sealed record Decision(
        ShardRoundDecided Message,
        IReadOnlyList<Contribution> Contributors,
        IReadOnlyList<string> Dropouts);

    /// <param name="own">The coordinator's own round (it holds the manifests and selects for distance-based strategies).</param>
    /// <param name="reports">One report per shard.</param>
    public static Decision Decide(RoundAggregation own, IReadOnlyList<ShardRoundReported> reports)
    {
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(reports);
        var started = own.Started;
        var manifests = own.Manifests.ToDictionary(m => m.ClientId, StringComparer.Ordinal);
        var excluded = new List<RejectedUpdate>();
        var contributors = new List<Contribution>();
        var dropouts = new List<string>();

        foreach (var id in started.Participants.Order(StringComparer.Ordinal))
        {
            var checksums = new uint?[own.SliceCount];
            var squares = 0.0;
            string? rejection = null;
            foreach (var report in reports.OrderBy(r => r.Shard))
            {
                var state = report.Clients.FirstOrDefault(c => c.ClientId == id);
                if (state is null) continue;
                rejection ??= state.Rejection is null ? null : $"{state.Rejection} (shard {report.Shard})";
                squares += state.SumOfSquares;
                for (var i = 0; i < state.SliceIndexes.Length; i++)
                    if ((uint)state.SliceIndexes[i] < (uint)checksums.Length) checksums[state.SliceIndexes[i]] = state.Checksums[i];
            }
            var delivered = checksums.Count(c => c.HasValue);
            var norm = Math.Sqrt(squares);
            manifests.TryGetValue(id, out var manifest);
            if (rejection is null && manifest is not null && delivered == own.SliceCount
                && UpdateDigest.FromChecksums(checksums.Select(c => c!.Value).ToArray()) != manifest.Digest)
                rejection = "manifest digest does not match the slices received";
            if (rejection is null && own.NormLimit is { } limit && norm > limit)
                rejection = $"update norm {norm:G4} is above the limit {limit:G4} ({NormOutlierRule.Parameter} times the previous round's median norm)";
            if (rejection is not null)
                excluded.Add(new RejectedUpdate(id, delivered > 0 ? $"{rejection} (its {delivered} folded slices were taken back out on every shard)" : rejection));
            else if (manifest is not null && delivered == own.SliceCount)
                contributors.Add(new Contribution(id, manifest.ExampleCount, norm, manifest.Metrics.TrainLoss, Seconds: manifest.Metrics.RoundSeconds));
            else
                dropouts.Add(id);
        }

        string? failure = null;
        string[]? selected = null;
        var needed = RoundAggregation.QuorumOf(started);
        if (RoundPlan.SettingsOf(started).WholeUpdateNorms)
            failure = "norm bounding and DP-FedAvg scale each update by its whole norm, which no shard holds: they cannot run with Aggregation:ShardCount > 1";
        else if (contributors.Count < needed)
            failure = $"quorum not reached: {contributors.Count} complete updates, {needed} needed";
        else if (reports.Any(r => r.SquaredDistances is not null))
        {
            try
            {
                var outIds = excluded.Select(e => e.ClientId).ToHashSet(StringComparer.Ordinal);
                var partials = reports.Where(r => r.DistanceClients is { Length: > 0 })
                    .OrderBy(r => r.Shard)
                    .Select(r => new PairwiseDistances(r.DistanceClients!, r.SquaredDistances))
                    .ToList();
                if (partials.Count == 0) throw new InvalidOperationException("no shard holds a complete update");
                selected = [.. own.Select(Without(PairwiseDistances.Combine(partials), outIds))];
            }
            catch (InvalidOperationException e)
            {
                failure = $"{started.Strategy} could not aggregate: {e.Message}";
            }
        }
        return new Decision(new ShardRoundDecided(started.TaskId, started.Round, [.. excluded], selected, failure), contributors, dropouts);
    }

    /// <summary>Writes each shard's values into the slices it holds, over <paramref name="model"/> (the global model).</summary>
    /// <exception cref="InvalidDataException">A shard sent the wrong number of values.</exception>
    public static void Assemble(IReadOnlyList<ShardRoundFinished> finished, int sliceElements, Span<float> model)
    {
        ArgumentNullException.ThrowIfNull(finished);
        var count = finished.Count;
        var sliceCount = UpdateSliceCodec.SliceCountFor(model.Length, sliceElements);
        foreach (var part in finished)
        {
            var shard = new ShardSettings(part.Shard, count);
            var values = part.OwnedValues ?? [];
            var position = 0;
            for (var s = 0; s < sliceCount; s++)
            {
                if (!shard.Owns(s)) continue;
                var start = s * sliceElements;
                var length = Math.Min(sliceElements, model.Length - start);
                if (position + length > values.Length)
                    throw new InvalidDataException($"Shard {part.Shard} sent {values.Length} values; its slices hold more.");
                values.AsSpan(position, length).CopyTo(model.Slice(start, length));
                position += length;
            }
            if (position != values.Length)
                throw new InvalidDataException($"Shard {part.Shard} sent {values.Length} values; its slices hold {position}.");
        }
    }

    /// <summary>The values of <paramref name="model"/> in the slices <paramref name="shard"/> holds, in ascending slice order.</summary>
    public static float[] OwnedValues(ReadOnlySpan<float> model, int sliceElements, ShardSettings shard)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var values = new List<float>();
        var sliceCount = UpdateSliceCodec.SliceCountFor(model.Length, sliceElements);
        for (var s = 0; s < sliceCount; s++)
            if (shard.Owns(s))
                values.AddRange(model.Slice(s * sliceElements, Math.Min(sliceElements, model.Length - s * sliceElements)));
        return [.. values];
    }

    private static PairwiseDistances Without(PairwiseDistances distances, HashSet<string> excluded)
    {
        var keep = Enumerable.Range(0, distances.Count).Where(i => !excluded.Contains(distances.ClientIds[i])).ToArray();
        if (keep.Length == distances.Count) return distances;
        var values = new double[keep.Length * keep.Length];
        for (var i = 0; i < keep.Length; i++)
            for (var j = 0; j < keep.Length; j++)
                values[i * keep.Length + j] = distances[keep[i], keep[j]];
        return new PairwiseDistances(keep.Select(i => distances.ClientIds[i]).ToArray(), values);
    }
}
