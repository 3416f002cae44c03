using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Aggregation.Robust;
using FlMicroservices.Core.Compression;
using FlMicroservices.Core.Planning;
using FlMicroservices.Infrastructure.UpdateStream;

namespace FlMicroservices.Aggregation;

/// <summary>One round's aggregation: checks each slice, folds it into the strategy, tracks participants, closes the round.</summary>
/// <remarks>Design notes: docs/architecture.md, "Notes: RoundAggregation".</remarks>
public sealed class RoundAggregation
{
    /// <summary>Slices of one index folded together by strategies with a grouped fold (<see cref="IBatchRoundAggregator"/>).</summary>
    public const int DefaultGroupSize = 8;

    private readonly IRoundAggregator _aggregator;
    private readonly SliceGroupBuffer? _groups;
    private readonly Dictionary<string, ClientProgress> _clients = new(StringComparer.Ordinal);
    private readonly List<RejectedUpdate> _outsiders = [];
    private readonly CompressionSpec? _compression;
    private readonly string? _compressionProblem;
    private bool _retractionsWaiting;

    /// <param name="normLimit">Largest L2 norm an update may have (null: no limit); see <see cref="NormLimitFor"/>.</param>
    /// <param name="shard">The slices this instance holds when aggregation is sharded (null: all of them).</param>
    /// <param name="groupSize">Slices of one index folded together (1: each on arrival); see <see cref="SliceGroupBuffer"/>.</param>
    public RoundAggregation(RoundStarted started, int parameterCount, IAggregationStrategy strategy, double? normLimit = null, ShardSettings? shard = null,
        int groupSize = DefaultGroupSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        if (normLimit is { } limit && !(limit > 0))
            throw new ArgumentOutOfRangeException(nameof(normLimit), normLimit, "A norm limit must be positive.");
        NormLimit = normLimit;
        ArgumentNullException.ThrowIfNull(started);
        ArgumentNullException.ThrowIfNull(strategy);
        Started = started;
        ParameterCount = parameterCount;
        SliceCount = UpdateSliceCodec.SliceCountFor(parameterCount, started.SliceElements);
        Shard = shard is { Count: > 1 } ? shard : null;
        OwnedSliceCount = Shard is { } sharded ? Enumerable.Range(0, SliceCount).Count(sharded.Owns) : SliceCount;
        _aggregator = strategy.BeginRound(parameterCount, started.SliceElements);
        // Waiting slices are bounded by one model's bytes (at least one full group): with the accumulator's two, the round
        // holds at most three models' worth while folding.
        if (groupSize > 1 && _aggregator is IBatchRoundAggregator batch)
            _groups = new SliceGroupBuffer(batch, SliceCount, groupSize, Math.Max((long)parameterCount, (long)groupSize * started.SliceElements) * sizeof(float),
                GroupFolded, GroupRefused);
        foreach (var id in started.Participants) _clients[id] = new ClientProgress(SliceCount);
        try { _compression = CompressionSpec.Parse(RoundPlan.SettingsOf(started).Compression); }
        catch (ArgumentException e) { _compressionProblem = e.Message; }
    }

    /// <summary>The most payload bytes that waited to be folded as a group at once (0 when slices are folded on arrival).</summary>
    public long PeakWaitingBytes => _groups?.PeakWaitingBytes ?? 0;

    /// <summary>True when a client was rejected since the last <see cref="TakeRetractions"/>: its folded slices may need taking back.</summary>
    public bool RetractionsWaiting => _retractionsWaiting;

    public RoundStarted Started { get; }
    public int ParameterCount { get; }

    /// <summary>Largest L2 norm an update may have in this round, or null.</summary>
    public double? NormLimit { get; }

    /// <summary>The norm limit of a round under <see cref="NormOutlierRule"/>, given the previous round's contributor norms.</summary>
    public static double? NormLimitFor(RoundStarted started, IReadOnlyList<double>? previousNorms)
    {
        ArgumentNullException.ThrowIfNull(started);
        return NormOutlierRule.Limit(NormOutlierRule.Factor(started.StrategyParameters), previousNorms);
    }
    public int SliceCount { get; }

    /// <summary>The slices this instance holds when aggregation is sharded; null when it holds them all.</summary>
    public ShardSettings? Shard { get; }

    /// <summary>How many of the model's slices this instance holds (all of them unless sharded).</summary>
    public int OwnedSliceCount { get; }
    public int DuplicateSlices { get; private set; }
    public bool IsClosed { get; private set; }

    /// <summary>
    /// True when every participant has delivered (slices and manifest), declined or been rejected; with over-selection
    /// (<see cref="RoundSettings.TargetUpdates"/>, unsharded rounds) also once that many complete updates arrived.
    /// </summary>
    public bool IsComplete =>
        _clients.Values.All(c => c.Rejection is not null || c.Declined is not null || Delivered(c))
        || (Shard is null && Started.Settings?.TargetUpdates is { } target && _clients.Values.Count(c => c.LateFrom is null && c.Rejection is null && Delivered(c)) >= target);

    private bool Delivered(ClientProgress client) => client.Manifest is not null && client.Received == OwnedSliceCount;

    /// <summary>The manifests received so far (participants only), for the control checkpoint.</summary>
    public IEnumerable<UpdateSubmitted> Manifests => _clients.Values.Select(c => c.Manifest).OfType<UpdateSubmitted>();

    /// <summary>The participants' declines recorded so far, for the control checkpoint.</summary>
    public IEnumerable<UpdateDeclined> Declines => _clients.Values.Select(c => c.Declined).OfType<UpdateDeclined>();

    /// <summary>
    /// A participant will not send (<see cref="UpdateDeclined"/>): the round stops waiting for it. Returns why the decline is not
    /// taken (not a participant, or it already sent part of an update), or null when it is recorded.
    /// </summary>
    public string? Decline(UpdateDeclined declined)
    {
        ArgumentNullException.ThrowIfNull(declined);
        if (IsClosed) return "the round is closed";
        if (!_clients.TryGetValue(declined.ClientId, out var client)) return "not selected for this round";
        if (client.Manifest is not null || client.Received > 0 || client.Rejection is not null) return "it already sent (part of) an update";
        client.Declined ??= declined;
        return null;
    }

    /// <summary>
    /// Folds a whole late update of round <paramref name="fromRound"/> (its manifest and every slice, as sent for that round) into this
    /// round, weighted by <see cref="LateUpdatePolicy.FoldedWeight"/> (docs/selection.md, "Late updates"). It counts for neither the
    /// quorum nor the over-selection target. Returns why it is not folded, or null when it is (it may still be rejected, as any update).
    /// </summary>
    public string? FoldLate(UpdateSubmitted manifest, IReadOnlyList<(UpdateSlice Slice, StreamPosition? Position)> slices, int fromRound)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(slices);
        if (IsClosed) return "the round is closed";
        if (Shard is not null) return "sharded aggregation does not fold late updates";
        if (fromRound != Started.Round - 1) return $"it is {Started.Round - fromRound} rounds old; only the previous round's updates are folded";
        // A participant that declined this round (still busy with the last one) sends its late update instead of a fresh one.
        if (_clients.TryGetValue(manifest.ClientId, out var participant) && (participant.Declined is null || participant.Received > 0 || participant.Manifest is not null))
            return "the client is a participant of this round: its fresh update supersedes the late one";
        if (manifest.ExampleCount < 1) return $"manifest announces {manifest.ExampleCount} examples";
        var weight = LateUpdatePolicy.FoldedWeight(manifest.ExampleCount);
        _clients[manifest.ClientId] = new ClientProgress(SliceCount) { LateFrom = fromRound };
        AcceptManifest(manifest with { Round = Started.Round, ExampleCount = weight });
        foreach (var (slice, position) in slices) Fold(slice with { Round = Started.Round, Weight = weight }, position);
        return null;
    }

    /// <param name="position">Where the slice lies in the update stream, so that it can be read again to be taken back.</param>
    public SliceOutcome Fold(UpdateSlice slice, StreamPosition? position = null)
    {
        ArgumentNullException.ThrowIfNull(slice);
        if (IsClosed) return SliceOutcome.Late;
        if (Shard is { } shard && !shard.Owns(slice.SliceIndex)) return SliceOutcome.NotOwned;
        if (!_clients.TryGetValue(slice.ClientId, out var client))
        {
            if (_outsiders.All(o => o.ClientId != slice.ClientId))
                _outsiders.Add(new RejectedUpdate(slice.ClientId, "not selected for this round"));
            return SliceOutcome.Rejected;
        }
        if (client.Rejection is not null) return SliceOutcome.Rejected;
        if (client.Has(slice.SliceIndex))
        {
            DuplicateSlices++;
            return SliceOutcome.Duplicate;
        }
        // The header is checked before a compressed payload is expanded, so no slice expands beyond the round's slice size.
        var problem = Check(slice, client) ?? Expand(ref slice);
        if (problem is not null)
        {
            Reject(client, slice.ClientId, problem);
            return SliceOutcome.Rejected;
        }
        if (_groups is not null)
        {
            // Accepted now; read once, when it is folded with the other slices of its index (bit for bit the same sums, and its
            // sum of squares from the same pass): the value checks and the norm check come with that fold (GroupFolded, GroupRefused).
            client.Record(slice, position);
            _groups.Add(slice);
            RejectRefused(slice.ClientId, client, atClose: false);
            return client.Rejection is null ? SliceOutcome.Folded : SliceOutcome.Rejected;
        }
        // A view over the received bytes: no 256 KiB copy per slice on the hot path.
        var values = slice.AsFloats();
        var squares = WeightedSliceSums.SumOfSquares(values);
        if (!double.IsFinite(squares))
        {
            Reject(client, slice.ClientId, $"slice {slice.SliceIndex} contains NaN or infinite values");
            return SliceOutcome.Rejected;
        }
        // Norm outliers: the update's norm so far, this slice included, checked before the slice is folded.
        if (NormLimit is { } limit && client.RunningSquares + squares > limit * limit)
        {
            Reject(client, slice.ClientId, NormTooLarge(client.RunningSquares + squares, $"by slice {slice.SliceIndex}", limit));
            return SliceOutcome.Rejected;
        }
        try
        {
            _aggregator.Fold(slice.ClientId, slice.SliceIndex, values, slice.Weight);
        }
        catch (OverflowException)
        {
            Reject(client, slice.ClientId, TooLarge(slice.SliceIndex));
            return SliceOutcome.Rejected;
        }
        client.Record(slice, position);
        client.AddSquares(slice.SliceIndex, squares);
        RejectRefused(slice.ClientId, client, atClose: false);
        return client.Rejection is null ? SliceOutcome.Folded : SliceOutcome.Rejected;
    }

    // A compressed slice becomes the plain one it encodes (docs/compression.md); the reason when it cannot, which rejects its client.
    private string? Expand(ref UpdateSlice slice)
    {
        if (_compression is null) return $"the round's compression cannot be read: {_compressionProblem}";
        try
        {
            slice = SliceExpander.Expand(slice, _compression);
            return null;
        }
        catch (MalformedSliceException e) { return e.Message; }
    }

    internal static string TooLarge(int sliceIndex) =>
        $"slice {sliceIndex} is too large to aggregate exactly (values x weight overflow the accumulator)";

    private static string NormTooLarge(double squares, string when, double limit) =>
        $"update norm reaches {Math.Sqrt(squares):G4} {when}, above the limit {limit:G4} ({NormOutlierRule.Parameter} times the previous round's median norm)";

    // A waiting slice its group folded, with its sum of squares from the same pass. Norm outliers are checked here: the slices
    // folded so far, this one included; when that passes the limit the client is rejected and this slice, still at hand, is
    // taken back out at once (its earlier slices like any rejected client's, TakeRetractions).
    private void GroupFolded(UpdateSlice slice, double squares)
    {
        var client = _clients[slice.ClientId];
        client.AddSquares(slice.SliceIndex, squares);
        if (NormLimit is not { } limit || client.RunningSquares <= limit * limit) return;
        Reject(client, slice.ClientId, NormTooLarge(client.RunningSquares, "with the slices folded so far", limit));
        Retract(slice);
    }

    // A waiting slice its group could not fold (not finite, or out of the accumulator's range): never folded, so it is
    // forgotten, and its client rejected.
    private void GroupRefused(UpdateSlice slice, string reason)
    {
        var client = _clients[slice.ClientId];
        client.Forget(slice.SliceIndex);
        Reject(client, slice.ClientId, reason);
    }

    // Every rejection goes through here: the client's slices still waiting for their group are dropped (taken back before they
    // were ever folded), and the caller learns that folded ones may need taking back.
    private void Reject(ClientProgress client, string clientId, string reason)
    {
        if (client.Rejection is not null) return;
        client.Reject(reason);
        _retractionsWaiting = true;
        if (_groups is null) return;
        foreach (var index in _groups.Drop(clientId)) client.Unrecord(index);
    }

    /// <summary>Folds every slice still waiting for its group (done before anything reads the aggregate).</summary>
    public void FoldWaiting() => _groups?.FoldAll();

    public void AcceptManifest(UpdateSubmitted manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (IsClosed) return;
        if (!_clients.TryGetValue(manifest.ClientId, out var client))
        {
            if (_outsiders.All(o => o.ClientId != manifest.ClientId))
                _outsiders.Add(new RejectedUpdate(manifest.ClientId, "not selected for this round"));
            return;
        }
        if (client.Rejection is not null) return;
        if (client.Manifest is { } first)
        {
            // The same update again is a redelivery; another one for the same round is equivocation: neither is kept.
            if (first.Digest != manifest.Digest)
                Reject(client, manifest.ClientId, $"sent two different updates for round {Started.Round} (digests {Short(first.Digest)} and {Short(manifest.Digest)})");
            return;
        }
        client.Manifest = manifest;
        if (manifest.SliceCount != SliceCount)
            Reject(client, manifest.ClientId, $"manifest announces {manifest.SliceCount} slices, the model needs {SliceCount}");
        else if (manifest.ElementCount != ParameterCount)
            Reject(client, manifest.ClientId, $"manifest announces {manifest.ElementCount} parameters, the model has {ParameterCount}");
        else if (manifest.ExampleCount <= 0)
            Reject(client, manifest.ClientId, $"manifest announces {manifest.ExampleCount} examples");
        else if (client.Weight is { } w && w != manifest.ExampleCount)
            Reject(client, manifest.ClientId, $"slices are weighted {w} but the manifest announces {manifest.ExampleCount} examples");
        else if (Shard is null && client.Received == SliceCount && client.Digest() != manifest.Digest)
            Reject(client, manifest.ClientId, "manifest digest does not match the slices received");
    }

    /// <summary>
    /// A manifest under a participant's id whose signature failed (<paramref name="reason"/>): it is never the client's manifest. When the
    /// slices received under the id are the ones it announces, or the round closes without a verified manifest, the client is rejected
    /// with the reason; a verified manifest of the client's own keeps its update in.
    /// </summary>
    public void RefuseManifest(UpdateSubmitted manifest, string reason)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        RefuseManifest(new RefusedManifest(manifest.TaskId, manifest.Round, manifest.ClientId, manifest.Digest, reason));
    }

    /// <summary>Records a refusal (as <see cref="RefuseManifest(UpdateSubmitted, string)"/>), e.g. one read back from the control checkpoint.</summary>
    public void RefuseManifest(RefusedManifest refused)
    {
        ArgumentNullException.ThrowIfNull(refused);
        if (refused.TaskId != Started.TaskId || refused.Round != Started.Round)
            throw new ArgumentException($"A refusal for round {refused.Round} of task {refused.TaskId} was given to round {Started.Round} of task {Started.TaskId}.", nameof(refused));
        if (IsClosed || !_clients.TryGetValue(refused.ClientId, out var client) || client.Rejection is not null || client.Manifest is not null) return;
        client.Refused ??= refused;
        RejectRefused(refused.ClientId, client, atClose: false);
    }

    /// <summary>The refused manifests recorded so far (participants only), for the control checkpoint.</summary>
    public IEnumerable<RefusedManifest> Refusals => _clients.Values.Select(c => c.Refused).OfType<RefusedManifest>();

    // At the close of a signed round, slices under an id that no verified manifest vouches for are taken back out too.
    private void RejectRefused(string clientId, ClientProgress client, bool atClose)
    {
        if (client.Manifest is not null || client.Rejection is not null) return;
        if (client.Refused is not { } refused)
        {
            if (atClose && Signed && client.Received > 0)
                Reject(client, clientId, $"update refused: its slices came without a signed manifest (task {Started.TaskId} requires {Started.Settings!.Signing} signatures)");
            return;
        }
        if (atClose || (Shard is null && client.Received == SliceCount && client.Digest() == refused.Digest))
            Reject(client, clientId, $"update refused: {refused.Reason}");
    }

    /// <summary>True when the round's task signs its updates: only slices a verified manifest vouches for stay in.</summary>
    public bool Signed => SigningAlgorithms.Signs(Started.Settings?.Signing);

    private static string Short(string digest) => digest.Length > 12 ? digest[..12] : digest;

    /// <summary>Closes the round; when enough clients contributed, writes the next global model into <paramref name="result"/>.</summary>
    public RoundOutcome Close(ReadOnlySpan<float> global, Span<float> result)
    {
        if (IsClosed) throw new InvalidOperationException($"Round {Started.Round} of task {Started.TaskId} is already closed.");
        RejectMismatchedDigests();
        FoldWaiting();
        IsClosed = true;
        var contributors = new List<Contribution>();
        var rejected = new List<RejectedUpdate>(_outsiders);
        var dropouts = new List<string>();
        var declined = new List<DeclinedUpdate>();
        foreach (var (id, client) in _clients.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (client.Rejection is not null)
                rejected.Add(new RejectedUpdate(id, client.RejectionReport()));
            else if (client.Manifest is not null && client.Received == OwnedSliceCount)
                contributors.Add(new Contribution(id, client.Manifest.ExampleCount, Math.Sqrt(client.SumOfSquares), client.Manifest.Metrics.TrainLoss,
                    Seconds: client.Manifest.Metrics.RoundSeconds, LateFrom: client.LateFrom));
            else if (client.LateFrom is not null)
                rejected.Add(new RejectedUpdate(id, $"late update of round {client.LateFrom} incomplete"));
            else
            {
                dropouts.Add(id);
                if (client.Declined is { } d) declined.Add(new DeclinedUpdate(id, d.Reason, d.Seconds));
            }
        }
        var needed = QuorumOf(Started);
        var fresh = contributors.Count(c => c.LateFrom is null); // folded late updates do not make a quorum
        // Closed on its over-selection target: the participants not heard from by then were not waited for, which is not silence
        // (the registry counts silence as a missed round). Their own declines may still be on their way.
        if (Shard is null && Started.Settings?.TargetUpdates is { } target && fresh >= target)
        {
            var heard = declined.Select(d => d.ClientId).ToHashSet(StringComparer.Ordinal);
            foreach (var id in dropouts.Where(id => !heard.Contains(id)))
                declined.Add(new DeclinedUpdate(id, $"not waited for: the round closed with its {target} updates first", null));
            declined.Sort((a, b) => StringComparer.Ordinal.Compare(a.ClientId, b.ClientId));
        }
        if (fresh < needed || _aggregator.FoldedSlices == 0)
            return new RoundOutcome(false, contributors, rejected, dropouts,
                $"quorum not reached: {fresh} complete updates, {needed} needed" + (declined.Count > 0 ? $" ({declined.Count} declined)" : ""), declined);
        try
        {
            _aggregator.Finish(global, result);
        }
        catch (InvalidOperationException e)
        {
            // e.g. Krum with too few clients for its f: the round fails with the strategy's reason, nothing half-written.
            result.Clear();
            return new RoundOutcome(false, contributors, rejected, dropouts, $"{Started.Strategy} could not aggregate: {e.Message}", declined);
        }
        if (_aggregator is ISelectingRound { Aggregated: { } aggregated })
        {
            var kept = aggregated.ToHashSet(StringComparer.Ordinal);
            contributors = [.. contributors.Select(c => kept.Contains(c.ClientId) ? c : c with { Aggregated = false })];
        }
        return new RoundOutcome(true, contributors, rejected, dropouts, null, declined);
    }

    /// <summary>
    /// The rejected clients with slices still folded, each with what is needed to take them back, once per client: the
    /// caller reads the slices at their positions and passes each to <see cref="Retract"/>, or reports
    /// <see cref="RetractionFailed"/>. Empty when nothing waits.
    /// </summary>
    public IReadOnlyList<PendingRetraction> TakeRetractions()
    {
        var pending = new List<PendingRetraction>();
        _retractionsWaiting = false;
        foreach (var (id, client) in _clients)
        {
            if (client.Rejection is null || client.RetractionRequested || client.Received == 0) continue;
            client.RetractionRequested = true;
            pending.Add(new PendingRetraction(id, client.Weight ?? 0, client.FoldedSlices().ToArray(), client.LateFrom));
        }
        return pending;
    }

    /// <summary>
    /// Takes a rejected client's folded slice back out of the aggregate. The slice must be the one folded (same index and
    /// checksum); false, with nothing changed, when it is not.
    /// </summary>
    public bool Retract(UpdateSlice slice)
    {
        ArgumentNullException.ThrowIfNull(slice);
        if (IsClosed || !_clients.TryGetValue(slice.ClientId, out var client) || client.Rejection is null || !client.Has(slice.SliceIndex)) return false;
        if (client.LateFrom is not null) slice = slice with { Round = Started.Round, Weight = client.Weight ?? slice.Weight }; // read back as sent for its own round
        if (Expand(ref slice) is not null) return false;
        if (client.Checksum(slice.SliceIndex) != UpdateDigest.SliceChecksum(slice)) return false;
        if (_aggregator is not IRetractableRound retractable)
        {
            client.RetractionFailure ??= $"the {Started.Strategy} round cannot take slices back";
            return false;
        }
        retractable.Retract(slice.ClientId, slice.SliceIndex, slice.AsFloats(), slice.Weight);
        client.Unrecord(slice.SliceIndex);
        return true;
    }

    /// <summary>Records why a rejected client's folded slices could not be taken back (the report then says so).</summary>
    public void RetractionFailed(string clientId, string reason)
    {
        if (_clients.TryGetValue(clientId, out var client)) client.RetractionFailure ??= reason;
    }

    /// <summary>Rejects the clients whose manifest digest disagrees with the slices received, and those with only a refused manifest; done by <see cref="Close"/> too.</summary>
    public void RejectMismatchedDigests()
    {
        foreach (var (id, client) in _clients) RejectRefused(id, client, atClose: true); // no verified manifest came after a refused one
        if (Shard is not null) return; // a shard holds only some checksums: the coordinator checks digests
        foreach (var (id, client) in _clients)
            if (client.Manifest is not null && client.Rejection is null && client.Received == SliceCount && client.Digest() != client.Manifest.Digest)
                Reject(client, id, "manifest digest does not match the slices received");
    }

    /// <summary>Sharded: what this shard tells the coordinator when it closes its part of the round.</summary>
    public ShardRoundReported Report()
    {
        if (Shard is not { } shard) throw new InvalidOperationException("Only a sharded round reports to a coordinator.");
        FoldWaiting();
        var clients = _clients.OrderBy(c => c.Key, StringComparer.Ordinal).Select(pair =>
        {
            var folded = pair.Value.FoldedSlices().Select(f => f.SliceIndex).ToArray();
            return new ShardClientState(pair.Key, folded, folded.Select(pair.Value.Checksum).ToArray(), pair.Value.SumOfSquares, pair.Value.Rejection);
        }).ToArray();
        string[]? ids = null;
        double[]? distances = null;
        if (_aggregator is ISelectingRound selecting)
        {
            var partial = selecting.PartialDistances();
            ids = [.. partial.ClientIds];
            distances = partial.Values.ToArray();
        }
        return new ShardRoundReported(Started.TaskId, Started.Round, shard.Index, shard.Count, clients, ids, distances);
    }

    /// <summary>The round's strategy selects clients from distances (Krum, Multi-Krum, Bulyan): the coordinator's round selects for all shards.</summary>
    public IReadOnlyList<string> Select(Core.Aggregation.Robust.PairwiseDistances distances) =>
        _aggregator is ISelectingRound selecting
            ? selecting.Select(distances)
            : throw new InvalidOperationException($"{Started.Strategy} does not select clients.");

    /// <summary>Sharded: the coordinator excluded this client; its slices held here are to be taken back (<see cref="TakeRetractions"/>).</summary>
    public void Exclude(string clientId, string reason)
    {
        if (_clients.TryGetValue(clientId, out var client)) Reject(client, clientId, reason);
    }

    /// <summary>
    /// Sharded: closes this shard's part of the round with the coordinator's selection (if any) and writes the next model's
    /// values for the slices this shard holds (the other slices of <paramref name="result"/> are the global model's).
    /// </summary>
    public string? FinishShard(IReadOnlyList<string>? selected, ReadOnlySpan<float> global, Span<float> result)
    {
        FoldWaiting();
        IsClosed = true;
        global.CopyTo(result);
        if (_aggregator.FoldedSlices == 0) return null; // nobody's slices here: the global model's values stand
        try
        {
            if (selected is not null)
            {
                if (_aggregator is not ISelectingRound selecting) return $"{Started.Strategy} cannot aggregate a selection";
                selecting.UseSelection(selected);
            }
            _aggregator.Finish(global, result);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            global.CopyTo(result);
            return $"{Started.Strategy} could not aggregate on shard {Shard?.Index}: {e.Message}";
        }
    }

    /// <summary>Whether the round's running aggregate can be written to a checkpoint (every built-in strategy but a norm-bounded one can).</summary>
    public bool CanCheckpoint => _aggregator is ICheckpointable;

    /// <summary>Writes per-client progress and the running aggregate (manifests are kept in the control checkpoint).</summary>
    public void WriteCheckpoint(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (_aggregator is not ICheckpointable aggregate)
            throw new InvalidOperationException($"The {Started.Strategy} round of task {Started.TaskId} cannot be checkpointed.");
        FoldWaiting(); // the checkpoint must hold every slice the progress records as folded
        writer.Write(DuplicateSlices);
        writer.Write(_outsiders.Count);
        foreach (var outsider in _outsiders) { writer.Write(outsider.ClientId); writer.Write(outsider.Reason); }
        var late = _clients.Where(c => c.Value.LateFrom is not null).ToArray();
        writer.Write(late.Length);
        foreach (var (id, client) in late) { writer.Write(id); writer.Write(client.LateFrom!.Value); }
        writer.Write(_clients.Count);
        foreach (var (id, client) in _clients)
        {
            writer.Write(id);
            client.WriteTo(writer);
        }
        aggregate.WriteCheckpoint(writer);
    }

    /// <summary>Restores what <see cref="WriteCheckpoint"/> wrote into a round freshly opened from the same RoundStarted.</summary>
    public void ReadCheckpoint(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_aggregator is not ICheckpointable aggregate)
            throw new InvalidOperationException($"The {Started.Strategy} round of task {Started.TaskId} cannot be restored from a checkpoint.");
        DuplicateSlices = reader.ReadInt32();
        _outsiders.Clear();
        for (var i = reader.ReadInt32(); i > 0; i--) _outsiders.Add(new RejectedUpdate(reader.ReadString(), reader.ReadString()));
        for (var i = reader.ReadInt32(); i > 0; i--)
        {
            var id = reader.ReadString();
            _clients[id] = new ClientProgress(SliceCount) { LateFrom = reader.ReadInt32() };
        }
        for (var i = reader.ReadInt32(); i > 0; i--)
        {
            var id = reader.ReadString();
            if (!_clients.TryGetValue(id, out var client))
                throw new InvalidDataException($"Checkpoint of round {Started.Round} of task {Started.TaskId} names client '{id}', who is not a participant.");
            client.ReadFrom(reader);
        }
        aggregate.ReadCheckpoint(reader);
    }

    /// <summary>
    /// The complete updates a plain round needs: the task's quorum share of its participants, or with over-selection of the
    /// updates it asked for (<see cref="RoundSettings.TargetUpdates"/>), not of the clients picked to get them.
    /// </summary>
    public static int QuorumOf(RoundStarted started)
    {
        ArgumentNullException.ThrowIfNull(started);
        return QuorumRule.Needed(Math.Min(started.Settings?.TargetUpdates ?? int.MaxValue, started.Participants.Length), started.Quorum);
    }

    /// <summary>Share of the participants that must contribute (the task's quorum).</summary>
    public double QuorumShare => Started.Quorum;

    private string? Check(UpdateSlice slice, ClientProgress client)
    {
        if (slice.ElementType != ElementType.Float32) return $"slice {slice.SliceIndex} holds {slice.ElementType}, expected Float32";
        if (slice.SliceCount != SliceCount) return $"slice {slice.SliceIndex} announces {slice.SliceCount} slices, the model needs {SliceCount}";
        var expectedOffset = (long)slice.SliceIndex * Started.SliceElements;
        var expectedLength = (int)Math.Min(Started.SliceElements, ParameterCount - expectedOffset);
        if (slice.ElementOffset != expectedOffset) return $"slice {slice.SliceIndex} starts at {slice.ElementOffset}, expected {expectedOffset}";
        if (slice.ElementCount != expectedLength) return $"slice {slice.SliceIndex} holds {slice.ElementCount} values, expected {expectedLength}";
        if (!WeightedSliceSums.IsValidWeight(slice.Weight))
            return $"slice {slice.SliceIndex} is weighted {slice.Weight}; a weight must be a whole example count from 1 to {WeightedSliceSums.MaxWeight}";
        if (client.Weight is { } w && w != slice.Weight) return $"slice {slice.SliceIndex} is weighted {slice.Weight}, earlier slices {w}";
        if (client.Manifest is { } m && m.ExampleCount != slice.Weight)
            return $"slice {slice.SliceIndex} is weighted {slice.Weight} but the manifest announces {m.ExampleCount} examples";
        return null;
    }

    private sealed class ClientProgress(int sliceCount)
    {
        private readonly uint[] _checksums = new uint[sliceCount];
        private readonly bool[] _seen = new bool[sliceCount];
        private readonly int[] _partitions = new int[sliceCount];
        private readonly long[] _offsets = Enumerable.Repeat(-1L, sliceCount).ToArray();
        private readonly double[] _squares = new double[sliceCount];

        public int Received { get; private set; }

        /// <summary>Slices folded and later taken back out (the client was rejected).</summary>
        public int Retracted { get; private set; }
        public bool RetractionRequested { get; set; }
        public string? RetractionFailure { get; set; }

        public uint Checksum(int index) => _checksums[index];

        public IEnumerable<FoldedSlice> FoldedSlices()
        {
            for (var i = 0; i < _seen.Length; i++)
                if (_seen[i]) yield return new FoldedSlice(i, _offsets[i] >= 0 ? new StreamPosition(_partitions[i], _offsets[i]) : null);
        }

        public void Unrecord(int index)
        {
            _seen[index] = false;
            _checksums[index] = 0;
            _offsets[index] = -1;
            _squares[index] = 0;
            Received--;
            Retracted++;
        }

        public string RejectionReport()
        {
            if (Received == 0 && Retracted == 0) return Rejection!;
            if (Received == 0) return $"{Rejection} (its {Retracted} folded slices were taken back out)";
            return $"{Rejection} ({Received} of its slices stay folded" + (RetractionFailure is null ? ")" : $": {RetractionFailure})");
        }
        public double? Weight { get; private set; }
        /// <summary>The sum of squares of the slices folded, added in slice order: the same whatever the order of arrival or grouping.</summary>
        public double SumOfSquares
        {
            get
            {
                var sum = 0.0;
                foreach (var squares in _squares) sum += squares;
                return sum;
            }
        }

        /// <summary>The same sum, added in the order the slices were folded (the norm check's running total).</summary>
        public double RunningSquares { get; private set; }
        public string? Rejection { get; private set; }
        public UpdateSubmitted? Manifest { get; set; }

        /// <summary>A late update of an earlier round folded into this one: that round (docs/selection.md, "Late updates").</summary>
        public int? LateFrom { get; init; }

        /// <summary>The client's decline, when it said it will not send (kept in the control checkpoint).</summary>
        public UpdateDeclined? Declined { get; set; }

        /// <summary>The first manifest under this id whose signature failed, and why (kept in the control checkpoint).</summary>
        public RefusedManifest? Refused { get; set; }

        public bool Has(int index) => (uint)index < (uint)_seen.Length && _seen[index];

        public void Record(UpdateSlice slice, StreamPosition? position)
        {
            _seen[slice.SliceIndex] = true;
            if (position is { } p) (_partitions[slice.SliceIndex], _offsets[slice.SliceIndex]) = (p.Partition, p.Offset);
            _checksums[slice.SliceIndex] = UpdateDigest.SliceChecksum(slice);
            Weight = slice.Weight;
            Received++;
        }

        public void AddSquares(int index, double squares)
        {
            _squares[index] = squares;
            RunningSquares += squares;
        }

        public void Reject(string reason) => Rejection ??= reason;

        /// <summary>Forgets a recorded slice that was never folded (its group's fold refused it).</summary>
        public void Forget(int index)
        {
            Unrecord(index);
            Retracted--;
        }

        public void WriteTo(BinaryWriter writer)
        {
            writer.Write(_seen.Length);
            for (var i = 0; i < _seen.Length; i++)
            {
                writer.Write(_seen[i]); writer.Write(_checksums[i]); writer.Write(_partitions[i]); writer.Write(_offsets[i]); writer.Write(_squares[i]);
            }
            writer.Write(Received);
            writer.Write(Retracted);
            writer.Write(RetractionRequested);
            writer.Write(RetractionFailure ?? string.Empty);
            writer.Write(Weight.HasValue);
            writer.Write(Weight ?? 0);
            writer.Write(RunningSquares);
            writer.Write(Rejection ?? string.Empty);
        }

        public void ReadFrom(BinaryReader reader)
        {
            var count = reader.ReadInt32();
            if (count != _seen.Length) throw new InvalidDataException($"Checkpoint holds progress over {count} slices, the round has {_seen.Length}.");
            for (var i = 0; i < count; i++)
            {
                _seen[i] = reader.ReadBoolean();
                _checksums[i] = reader.ReadUInt32();
                _partitions[i] = reader.ReadInt32();
                _offsets[i] = reader.ReadInt64();
                _squares[i] = reader.ReadDouble();
            }
            Received = reader.ReadInt32();
            Retracted = reader.ReadInt32();
            RetractionRequested = reader.ReadBoolean();
            var failure = reader.ReadString();
            RetractionFailure = failure.Length == 0 ? null : failure;
            var hasWeight = reader.ReadBoolean();
            var weight = reader.ReadDouble();
            Weight = hasWeight ? weight : null;
            RunningSquares = reader.ReadDouble();
            var rejection = reader.ReadString();
            Rejection = rejection.Length == 0 ? null : rejection;
        }

        public string Digest() => UpdateDigest.FromChecksums(_checksums);
    }
}

/// <summary>A rejected client's slices still folded: the weight they were folded with and where to read each again.</summary>
/// <param name="LateFrom">A folded late update: the round its slices were sent for (the stream holds them under that round).</param>
public sealed record PendingRetraction(string ClientId, double Weight, IReadOnlyList<FoldedSlice> Slices, int? LateFrom = null);

/// <summary>A folded slice and its position in the update stream (null when it did not come from the stream).</summary>
public sealed record FoldedSlice(int SliceIndex, StreamPosition? Position);

/// <summary>What happened to one slice.</summary>
public enum SliceOutcome
{
    Folded,
    Duplicate,
    Rejected,
    Late,
    /// <summary>Sharded aggregation: another shard holds this slice index.</summary>
    NotOwned,
}

/// <summary>Which slices an aggregation instance holds: slice s belongs to shard s modulo <see cref="Count"/> (<see cref="SliceShards"/>).</summary>
public sealed record ShardSettings(int Index, int Count)
{
    public bool Owns(int sliceIndex) => SliceShards.Owner(sliceIndex, Count) == Index;
}

/// <summary>The result of closing a round.</summary>
public sealed record RoundOutcome(
    bool Succeeded,
    IReadOnlyList<Contribution> Contributors,
    IReadOnlyList<RejectedUpdate> Rejected,
    IReadOnlyList<string> Dropouts,
    string? FailureReason,
    IReadOnlyList<DeclinedUpdate>? Declined = null);
