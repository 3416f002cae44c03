using System.Diagnostics;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Privacy.SecAgg;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Aggregation.SecAgg;

/// <summary>
/// One secure-aggregation round on the aggregation service: drives a <see cref="SecAggServer"/> with the participants'
/// messages from the bus and their masked slices from the update stream, and turns the unmasked sum into the next model.
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Notes: SecureRound".</remarks>
internal sealed class SecureRound : IDisposable
{
    /// <summary>The id under which the securely computed mean is folded into the strategy's round.</summary>
    public const string AggregateClientId = "secure-aggregate";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly int _parameterCount;
    private readonly int _sliceCount;
    private readonly IAggregationStrategy _strategy;
    private readonly IModelStore _models;
    private readonly IBus _bus;
    private readonly CommandSigning _signing;
    private readonly TimeProvider _clock;
    private readonly SecureAggregationOptions _options;
    private readonly ILogger _logger;
    private readonly Action<SecureRound> _closed;
    private readonly CancellationToken _shutdown;
    private readonly SecAggRoundSetup? _setup;
    private readonly string? _setupProblem;
    private readonly SecAggServer? _server;
    private readonly HashSet<int> _expected = [];
    private readonly HashSet<int> _answered = [];
    private readonly Dictionary<int, MaskedProgress> _masked = [];
    private readonly HashSet<int> _excluded = [];
    private readonly SortedSet<int> _included = [];
    private readonly SortedDictionary<string, string> _rejections = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _outsiders = new(StringComparer.Ordinal);
    private Phase _phase = Phase.AdvertiseKeys;

    public SecureRound(RoundStarted started, int parameterCount, IAggregationStrategy strategy, IModelStore models, IBus bus, CommandSigning signing,
        TimeProvider clock, SecureAggregationOptions options, ILogger logger, Action<SecureRound> closed, CancellationToken shutdown,
        string? setupProblem = null)
    {
        Started = started;
        _parameterCount = parameterCount;
        _sliceCount = UpdateSliceCodec.SliceCountFor(parameterCount, started.SliceElements);
        _strategy = strategy;
        _models = models;
        _bus = bus;
        _signing = signing;
        _clock = clock;
        _options = options;
        _logger = logger;
        _closed = closed;
        _shutdown = shutdown;
        _setupProblem = setupProblem;
        if (setupProblem is not null) return;
        try
        {
            var privacy = started.Privacy;
            _setup = SecAggRoundSetup.Create(started.TaskId, started.Round, started.ModelVersion, started.Seed, started.Participants,
                parameterCount, privacy.SecureAggregation == SecureAggregationMode.SecAggPlus, privacy.SecureAggregationClip,
                privacy.SecureAggregationThreshold, privacy.SecureAggregationDegree);
            _server = new SecAggServer(_setup.Parameters);
            for (var slot = 0; slot < _setup.Clients.Count; slot++) _expected.Add(slot);
        }
        catch (ArgumentException e)
        {
            _setupProblem = e.Message;
        }
    }

    private enum Phase
    {
        AdvertiseKeys,
        ShareKeys,
        MaskedInput,
        Unmasking,
        Done,
    }

    public RoundStarted Started { get; }

    private string TaskId => Started.TaskId;

    private int Round => Started.Round;

    /// <summary>Schedules the phase deadlines; a round whose setting is impossible fails at once.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_setupProblem is not null)
            {
                await FailAsync($"secure aggregation cannot start: {_setupProblem}");
                return;
            }
            var opened = _clock.GetUtcNow();
            var time = Started.Deadline - opened;
            if (time < TimeSpan.Zero) time = TimeSpan.Zero;
            _ = CloseAtAsync(Phase.AdvertiseKeys, opened + time * _options.AdvertiseKeysShare);
            _ = CloseAtAsync(Phase.ShareKeys, opened + time * _options.ShareKeysShare);
            _ = CloseAtAsync(Phase.MaskedInput, opened + time * _options.MaskedInputShare);
            _ = CloseAtAsync(Phase.Unmasking, Started.Deadline);
        }
        finally { _gate.Release(); }
    }

    /// <summary>AdvertiseKeys, ShareKeys or UnmaskingResponse from a participant.</summary>
    public async Task OnClientMessageAsync(SecAggClientMessage message, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_phase == Phase.Done || _server is null) return;
            if (!_setup!.TryGetSlot(message.ClientId, out var slot))
            {
                _outsiders.TryAdd(message.ClientId, "not selected for this round (sent a secure-aggregation message)");
                return;
            }
            // A client refused earlier (a plain slice, a bad message) still takes part in the protocol: it may hold shares
            // of the others' secrets. Only its own masked input stays out of the sum (unless it is in already).
            ISecAggMessage decoded;
            try
            {
                decoded = SecAggWire.Decode(message.Payload ?? []);
            }
            catch (FormatException e)
            {
                Exclude(slot, $"sent a malformed secure-aggregation message in the {PhaseName(_phase)} phase ({e.Message})");
                Answered(slot);
                await AdvanceWhileCompleteAsync();
                return;
            }
            var claimed = decoded switch
            {
                AdvertiseKeys m => m.ClientId,
                ShareKeys m => m.DealerId,
                UnmaskingResponse m => m.ClientId,
                _ => -1,
            };
            if (claimed == -1)
            {
                Exclude(slot, $"sent a {decoded.Kind} message, which only the server sends or which travels on the update stream");
                await AdvanceWhileCompleteAsync();
                return;
            }
            if (claimed != slot)
            {
                Exclude(slot, $"sent a {decoded.Kind} message in the name of protocol client {claimed} ({_setup.ClientOf(claimed)}); its own protocol id is {slot}");
                Answered(slot);
                await AdvanceWhileCompleteAsync();
                return;
            }
            var expectedPhase = decoded switch
            {
                AdvertiseKeys => Phase.AdvertiseKeys,
                ShareKeys => Phase.ShareKeys,
                _ => Phase.Unmasking,
            };
            if (expectedPhase != _phase)
            {
                _logger.LogDebug("Secure round {Task}/{Round}: {Kind} of {Client} arrived in the {Phase} phase and is ignored",
                    TaskId, Round, decoded.Kind, message.ClientId, _phase);
                return;
            }
            if (!_expected.Contains(slot)) return; // not asked in this phase (it dropped out earlier)
            var accepted = decoded switch
            {
                AdvertiseKeys m => _server.ReceiveAdvertiseKeys(m),
                ShareKeys m => _server.ReceiveShareKeys(m),
                UnmaskingResponse m => _server.ReceiveUnmaskingResponse(m),
                _ => false,
            };
            if (!accepted)
                _logger.LogWarning("Secure round {Task}/{Round}: {Kind} of {Client} refused", TaskId, Round, decoded.Kind, message.ClientId);
            Answered(slot);
            await AdvanceWhileCompleteAsync();
        }
        finally { _gate.Release(); }
    }

    /// <summary>The completion message of a participant's masked input.</summary>
    /// <param name="message">The participant's completion message.</param>
    /// <param name="refusal">Why its signature failed (docs/signing.md): the participant is then excluded with that reason; null when it verified.</param>
    /// <param name="cancellationToken">Cancels the wait for the round's gate.</param>
    public async Task OnMaskedUpdateAsync(MaskedUpdateSubmitted message, CancellationToken cancellationToken, string? refusal = null)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_phase == Phase.Done || _server is null) return;
            if (!_setup!.TryGetSlot(message.ClientId, out var slot))
            {
                _outsiders.TryAdd(message.ClientId, "not selected for this round (sent a masked update)");
                return;
            }
            if (_phase < Phase.MaskedInput)
            {
                Exclude(slot, "submitted a masked update before the shares were delivered");
                return;
            }
            if (_phase > Phase.MaskedInput || !_expected.Contains(slot) || _excluded.Contains(slot) || _included.Contains(slot)) return;
            var progress = ProgressOf(slot);
            if (progress.Completion is not null) return; // redelivered
            if (refusal is not null)
            {
                Exclude(slot, $"masked update refused: {refusal}");
                await AdvanceWhileCompleteAsync();
                return;
            }
            MaskedInput complaints;
            try
            {
                complaints = SecAggWire.Decode<MaskedInput>(message.Payload ?? []);
            }
            catch (FormatException e)
            {
                Exclude(slot, $"sent a malformed masked-update completion ({e.Message})");
                await AdvanceWhileCompleteAsync();
                return;
            }
            string? problem = null;
            if (complaints.ClientId != slot)
                problem = $"sent a masked-update completion in the name of protocol client {complaints.ClientId}; its own protocol id is {slot}";
            else if (complaints.MaskedVector.Length != 0)
                problem = "put masked values in its completion message; they belong on the update stream";
            else if (message.SliceCount != _sliceCount)
                problem = $"announced {message.SliceCount} masked slices, the model needs {_sliceCount}";
            else if (message.ElementCount != _parameterCount)
                problem = $"announced {message.ElementCount} masked values, the model has {_parameterCount}";
            if (problem is not null)
            {
                Exclude(slot, problem);
                await AdvanceWhileCompleteAsync();
                return;
            }
            progress.Completion = message;
            progress.Complaints = complaints.Complaints;
            TryAddToSum(slot, progress);
            await AdvanceWhileCompleteAsync();
        }
        finally { _gate.Release(); }
    }

    /// <summary>A slice from the update stream: masked (UInt32) slices are buffered, plain ones refused.</summary>
    public async Task OnSliceAsync(UpdateSlice slice, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_server is null) return;
            var participant = _setup!.TryGetSlot(slice.ClientId, out var slot);
            if (slice.ElementType != ElementType.UInt32)
            {
                var reason = $"sent a plain {slice.ElementType} slice (slice {slice.SliceIndex}) in a secure-aggregation round; " +
                    "the aggregation service takes only masked UInt32 slices and refuses the update";
                if (!participant) _outsiders.TryAdd(slice.ClientId, reason);
                else if (_phase != Phase.Done) Exclude(slot, reason);
                else _rejections.TryAdd(slice.ClientId, reason);
                _logger.LogWarning("Secure round {Task}/{Round}: plain {Type} slice {Index} of {Client} refused",
                    TaskId, Round, slice.ElementType, slice.SliceIndex, slice.ClientId);
                await AdvanceWhileCompleteAsync();
                return;
            }
            if (_phase == Phase.Done) return;
            if (!participant)
            {
                _outsiders.TryAdd(slice.ClientId, "not selected for this round (sent masked slices)");
                return;
            }
            if (_phase < Phase.MaskedInput)
            {
                Exclude(slot, $"sent masked slice {slice.SliceIndex} before the shares were delivered");
                return;
            }
            if (_phase > Phase.MaskedInput)
            {
                _logger.LogDebug("Secure round {Task}/{Round}: masked slice {Index} of {Client} arrived after the masked-input phase",
                    TaskId, Round, slice.SliceIndex, slice.ClientId);
                return;
            }
            if (!_expected.Contains(slot) || _excluded.Contains(slot) || _included.Contains(slot)) return;
            var expectedOffset = (long)slice.SliceIndex * Started.SliceElements;
            var expectedLength = expectedOffset < _parameterCount ? (int)Math.Min(Started.SliceElements, _parameterCount - expectedOffset) : 0;
            string? problem = null;
            if (slice.SliceCount != _sliceCount) problem = $"masked slice {slice.SliceIndex} announces {slice.SliceCount} slices, the model needs {_sliceCount}";
            else if (slice.ElementOffset != expectedOffset) problem = $"masked slice {slice.SliceIndex} starts at {slice.ElementOffset}, expected {expectedOffset}";
            else if (slice.ElementCount != expectedLength) problem = $"masked slice {slice.SliceIndex} holds {slice.ElementCount} values, expected {expectedLength}";
            if (problem is not null)
            {
                Exclude(slot, problem);
                await AdvanceWhileCompleteAsync();
                return;
            }
            var progress = ProgressOf(slot);
            if (progress.Slices[slice.SliceIndex] is not null) return; // duplicate
            progress.Slices[slice.SliceIndex] = slice.ToUInt32s();
            progress.Checksums[slice.SliceIndex] = UpdateDigest.SliceChecksum(slice.Payload.Span);
            progress.Received++;
            TryAddToSum(slot, progress);
            await AdvanceWhileCompleteAsync();
        }
        finally { _gate.Release(); }
    }

    private MaskedProgress ProgressOf(int slot)
    {
        if (!_masked.TryGetValue(slot, out var progress)) _masked[slot] = progress = new MaskedProgress(_sliceCount);
        return progress;
    }

    // Adds a client's masked vector to the running total once every slice and the completion message are in.
    private void TryAddToSum(int slot, MaskedProgress progress)
    {
        if (progress.Completion is null || progress.Received < _sliceCount) return;
        var id = _setup!.ClientOf(slot);
        if (UpdateDigest.FromChecksums(progress.Checksums) != progress.Completion.Digest)
        {
            Exclude(slot, "masked slices do not match the digest of its completion message");
            return;
        }
        var slices = new MaskedSlice[_sliceCount];
        for (var i = 0; i < _sliceCount; i++) slices[i] = new MaskedSlice(i * Started.SliceElements, progress.Slices[i]!);
        var accepted = _server!.ReceiveMaskedInput(slot, progress.Complaints, slices);
        progress.Release();
        Answered(slot);
        if (accepted) _included.Add(slot);
        else _logger.LogWarning("Secure round {Task}/{Round}: masked input of {Client} refused", TaskId, Round, id);
    }

    // Caller holds the gate. Records a rejection; the client's masked input, if not in the total yet, never will be.
    private void Exclude(int slot, string reason)
    {
        var id = _setup!.ClientOf(slot);
        Refuse(slot, reason);
        if (_included.Contains(slot) || !_excluded.Add(slot)) return;
        if (_masked.TryGetValue(slot, out var progress)) progress.Release();
        if (_phase == Phase.MaskedInput) Answered(slot);
        _logger.LogWarning("Secure round {Task}/{Round}: {Client} refused: {Reason}", TaskId, Round, id, reason);
    }

    private void Refuse(int slot, string reason) => _rejections.TryAdd(_setup!.ClientOf(slot), reason);

    private void Answered(int slot)
    {
        if (_expected.Contains(slot)) _answered.Add(slot);
    }

    private async Task CloseAtAsync(Phase phase, DateTimeOffset at)
    {
        try
        {
            var wait = at - _clock.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _clock, _shutdown);
            await _gate.WaitAsync(_shutdown);
            try
            {
                if (_phase != phase) return;
                _logger.LogInformation("Secure round {Task}/{Round}: the {Phase} phase reached its deadline with {Answered} of {Expected} answers",
                    TaskId, Round, PhaseName(phase), _answered.Count, _expected.Count);
                await ClosePhaseAsync();
                await AdvanceWhileCompleteAsync();
            }
            finally { _gate.Release(); }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (Exception e)
        {
            _logger.LogError(e, "Secure round {Task}/{Round}: closing the {Phase} phase at its deadline failed", TaskId, Round, PhaseName(phase));
        }
    }

    // Caller holds the gate.
    private async Task AdvanceWhileCompleteAsync()
    {
        while (_phase is not Phase.Done && _expected.All(_answered.Contains))
            await ClosePhaseAsync();
    }

    // Caller holds the gate. Ends the current phase and sends the server's replies.
    private async Task ClosePhaseAsync()
    {
        var server = _server!;
        try
        {
            switch (_phase)
            {
                case Phase.AdvertiseKeys:
                {
                    var directories = server.CloseAdvertiseKeys();
                    NextPhase(Phase.ShareKeys, directories.Select(d => d.RecipientId));
                    foreach (var directory in directories) await SendAsync(directory.RecipientId, directory);
                    break;
                }
                case Phase.ShareKeys:
                {
                    var deliveries = server.CloseShareKeys();
                    NextPhase(Phase.MaskedInput, deliveries.Select(d => d.RecipientId));
                    foreach (var slot in _excluded) Answered(slot); // refused before: nothing more is expected from them
                    foreach (var delivery in deliveries) await SendAsync(delivery.RecipientId, delivery);
                    break;
                }
                case Phase.MaskedInput:
                {
                    foreach (var (slot, progress) in _masked)
                    {
                        if (!_included.Contains(slot) && progress.Received > 0)
                            _logger.LogInformation("Secure round {Task}/{Round}: {Client} delivered {Received} of {Count} masked slices{Completion}; it is a dropout",
                                TaskId, Round, _setup!.ClientOf(slot), progress.Received, _sliceCount, progress.Completion is null ? " and no completion" : "");
                        progress.Release();
                    }
                    var needed = QuorumRule.Needed(Started.Participants.Length, Started.Quorum);
                    if (_included.Count < needed)
                    {
                        await FailAsync($"quorum not reached: {_included.Count} complete masked updates, {needed} needed " +
                            "(the round was abandoned before any share was revealed; no sum was formed)");
                        return;
                    }
                    var requests = server.CloseMaskedInput();
                    NextPhase(Phase.Unmasking, requests.Select(r => r.RecipientId));
                    foreach (var request in requests) await SendAsync(request.RecipientId, request);
                    break;
                }
                case Phase.Unmasking:
                {
                    _phase = Phase.Done;
                    var watch = Stopwatch.StartNew();
                    var result = server.Finish();
                    await CompleteAsync(result, watch);
                    break;
                }
            }
        }
        catch (SecAggAbortedException e)
        {
            await FailAsync($"secure aggregation aborted ({e.Kind}): {e.Message}{Names(e.Clients)}");
        }
    }

    private void NextPhase(Phase phase, IEnumerable<int> expected)
    {
        _phase = phase;
        _expected.Clear();
        _expected.UnionWith(expected);
        _answered.Clear();
    }

    private Task SendAsync(int slot, ISecAggMessage message) =>
        _bus.Publish(_signing.Sign(new SecAggServerMessage(TaskId, Round, _setup!.ClientOf(slot), SecAggWire.Encode(message))), _shutdown);

    // Caller holds the gate. The sum is in: mean, server step, candidate, RoundAggregated.
    private async Task CompleteAsync(SecAggResult result, Stopwatch watch)
    {
        var setup = _setup!;
        var included = result.IncludedClients;
        string? reference = null;
        string? failure = null;
        try
        {
            var mean = new float[_parameterCount];
            for (var i = 0; i < mean.Length; i++) mean[i] = (float)(result.Sum[i] / included.Count);
            var global = await _models.LoadWeightsAsync(TaskId, Started.ModelVersion, _shutdown);
            var next = new float[global.Length];
            var aggregator = _strategy.BeginRound(_parameterCount, Started.SliceElements);
            for (var i = 0; i < _sliceCount; i++)
            {
                var start = i * Started.SliceElements;
                aggregator.Fold(AggregateClientId, i, mean.AsSpan(start, Math.Min(Started.SliceElements, _parameterCount - start)), 1);
            }
            aggregator.Finish(global, next);
            reference = await _models.SaveCandidateAsync(TaskId, Round, next, _shutdown);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failure = $"{Started.Strategy} could not turn the securely aggregated mean into a stored model: {e.Message}";
        }

        foreach (var (slot, reason) in result.Misbehaving) _rejections.TryAdd(setup.ClientOf(slot), reason);
        var inSum = included.Select(setup.ClientOf).ToHashSet(StringComparer.Ordinal);
        var contributors = new List<Contribution>();
        foreach (var slot in included)
        {
            var id = setup.ClientOf(slot);
            if (_rejections.ContainsKey(id)) continue;
            contributors.Add(ContributionOf(slot));
        }
        var rejected = Rejected(inSum);
        var dropouts = Dropouts(contributors, rejected);
        if (failure is not null)
        {
            _logger.LogError("Secure round {Task}/{Round} failed: {Reason}", TaskId, Round, failure);
            reference = null;
        }
        else
        {
            _logger.LogInformation("Secure round {Task}/{Round} aggregated: {Count} clients in the sum, {Dropped} dropped, {Rejected} rejected",
                TaskId, Round, included.Count, dropouts.Length, rejected.Length);
        }
        await PublishAsync(failure is null, reference, contributors.ToArray(), rejected, dropouts, failure, watch.Elapsed.TotalSeconds);
    }

    private Contribution ContributionOf(int slot)
    {
        var completion = _masked.GetValueOrDefault(slot)?.Completion;
        var loss = Started.Privacy.Enabled ? 0 : completion?.Metrics.TrainLoss ?? 0;
        // The update norm is unknown by design: the service never sees an unmasked update.
        return new Contribution(_setup!.ClientOf(slot), completion?.ExampleCount ?? 0, 0, loss);
    }

    private RejectedUpdate[] Rejected(IReadOnlySet<string> inSum)
    {
        var rejected = new List<RejectedUpdate>();
        foreach (var (id, reason) in _rejections)
        {
            rejected.Add(new RejectedUpdate(id, inSum.Contains(id)
                ? $"{reason} (its masked input was already in the sum, which cannot give one input back)"
                : reason));
        }
        foreach (var (id, reason) in _outsiders)
            if (!_rejections.ContainsKey(id)) rejected.Add(new RejectedUpdate(id, reason));
        return [.. rejected];
    }

    private string[] Dropouts(IReadOnlyList<Contribution> contributors, IReadOnlyList<RejectedUpdate> rejected)
    {
        var named = contributors.Select(c => c.ClientId).Concat(rejected.Select(r => r.ClientId)).ToHashSet(StringComparer.Ordinal);
        return [.. Started.Participants.Where(p => !named.Contains(p)).Order(StringComparer.Ordinal)];
    }

    // Caller holds the gate. No sum exists: nothing is stored, the round's report names who did what.
    private async Task FailAsync(string reason)
    {
        _phase = Phase.Done;
        if (_server is not null)
            foreach (var (slot, why) in _server.Misbehaving) _rejections.TryAdd(_setup!.ClientOf(slot), why);
        foreach (var progress in _masked.Values) progress.Release();
        var contributors = _setup is null ? [] : _included.Where(s => !_rejections.ContainsKey(_setup.ClientOf(s))).Select(ContributionOf).ToArray();
        var rejected = Rejected(new HashSet<string>());
        _logger.LogWarning("Secure round {Task}/{Round} failed: {Reason}", TaskId, Round, reason);
        await PublishAsync(false, null, contributors, rejected, Dropouts(contributors, rejected), reason, 0);
    }

    private async Task PublishAsync(bool succeeded, string? reference, Contribution[] contributors, RejectedUpdate[] rejected, string[] dropouts,
        string? failure, double seconds)
    {
        _phase = Phase.Done;
        try
        {
            await _bus.Publish(_signing.Sign(new RoundAggregated(TaskId, Round, Started.ModelVersion, succeeded, reference, contributors, rejected, dropouts,
                failure, seconds)), _shutdown);
        }
        finally
        {
            _server?.Dispose();
            _closed(this);
        }
    }

    private string Names(IReadOnlyList<int> slots) => slots.Count == 0 || _setup is null
        ? ""
        : $" (protocol ids: {string.Join(", ", slots.Select(s => $"{s} = {_setup.ClientOf(s)}"))})";

    private static string PhaseName(Phase phase) => phase switch
    {
        Phase.AdvertiseKeys => "advertise-keys",
        Phase.ShareKeys => "share-keys",
        Phase.MaskedInput => "masked-input",
        Phase.Unmasking => "unmasking",
        _ => "closed",
    };

    public void Dispose()
    {
        _server?.Dispose();
        foreach (var progress in _masked.Values) progress.Release();
    }

    /// <summary>A client's masked input while it streams in.</summary>
    private sealed class MaskedProgress(int sliceCount)
    {
        public uint[]?[] Slices { get; private set; } = new uint[]?[sliceCount];
        public uint[] Checksums { get; } = new uint[sliceCount];
        public int Received { get; set; }
        public MaskedUpdateSubmitted? Completion { get; set; }
        public IReadOnlyList<int> Complaints { get; set; } = [];

        public void Release() => Slices = new uint[]?[Slices.Length];
    }
}
