using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Privacy.SecAgg;
using Xunit.Abstractions;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>
/// Secure aggregation through the aggregation service over the embedded transports (in-memory MassTransit, in-process
/// update stream): the published model is the global model plus the plain mean of the clipped updates, within the
/// quantiser's error; dropouts at every phase, too few survivors, misbehaving clients and plain float32 slices.
/// </summary>
public sealed class SecureAggregationServiceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Parameters = 250;
    private const int SliceElements = 100; // 3 slices: 100, 100, 50
    private const int ClientCount = 10;
    private const double Clip = 0.5;
    // A round's deadline: long enough that a client slowed by a loaded machine is not taken for a dropout (a dropout test waits it out).
    private const int RoundSeconds = 20;
    private SecureAggregationHarness _harness = null!;

    public async Task InitializeAsync() => _harness = await SecureAggregationHarness.StartAsync();

    public async Task DisposeAsync() => await _harness.DisposeAsync();

    [Theory]
    [InlineData("SecAgg", "")]
    [InlineData("SecAggPlus", "")]
    [InlineData("SecAgg", "AfterShareKeys")] // 10%
    [InlineData("SecAggPlus", "AfterAdvertiseKeys")] // 10%
    [InlineData("SecAgg", "BeforeAdvertiseKeys,AfterAdvertiseKeys,AfterShareKeys")] // 30%
    [InlineData("SecAggPlus", "AfterAdvertiseKeys,AfterShareKeys,AfterMaskedInput")] // 30%, one of them after its masked input
    public async Task The_model_is_the_global_model_plus_the_mean_of_the_clipped_updates(string mode, string drops)
    {
        var stops = drops.Length == 0 ? [] : drops.Split(',').Select(Enum.Parse<HarnessStop>).ToArray();
        var (started, global, updates) = await NewRoundAsync($"sa-{mode}-{stops.Length}-{string.Concat(stops.Select(s => (int)s))}", Enum.Parse<SecureAggregationMode>(mode));
        // Drop participants 1, 4, 7 (in protocol order) at the given stages.
        var behaviours = new Dictionary<string, HarnessBehaviour>();
        for (var i = 0; i < stops.Length; i++) behaviours[started.Participants[1 + 3 * i]] = new HarnessBehaviour { Stop = stops[i] };

        var aggregated = await _harness.RunRoundAsync(started, updates, behaviours, TimeSpan.FromSeconds(120));
        output.WriteLine($"{mode}, drops [{drops}]: succeeded {aggregated.Succeeded}, contributors {aggregated.Contributors.Length}, " +
            $"dropouts [{string.Join(", ", aggregated.Dropouts)}], failure {aggregated.FailureReason}");

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        // In the sum: everyone who sent a masked input, including the one that dropped before unmasking.
        var inSum = started.Participants.Where(p => behaviours.GetValueOrDefault(p)?.Stop is null or HarnessStop.None or HarnessStop.AfterMaskedInput).ToArray();
        Assert.Equal(inSum, aggregated.Contributors.Select(c => c.ClientId).Order(StringComparer.Ordinal));
        Assert.Equal(started.Participants.Except(inSum).Order(StringComparer.Ordinal), aggregated.Dropouts);
        Assert.Empty(aggregated.Rejected);
        Assert.All(aggregated.Contributors, c => Assert.Equal(0, c.UpdateNorm)); // the service never saw an update

        var candidate = await _harness.Models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None);
        var error = AssertMeanOfClipped(global, updates, inSum, candidate);
        output.WriteLine($"largest |model − (global + mean of clipped)| = {error:E3}");

        // Nothing but masked values reached the aggregation service on the stream for this round.
        var records = _harness.Consumed.Records.Where(r => r.Task == started.TaskId).ToList();
        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.Equal(ElementType.UInt32, r.Type));
        Assert.Equal(inSum.Length * 3, records.Count);
    }

    [Theory]
    [InlineData(HarnessStop.BeforeAdvertiseKeys, "advertised keys")]
    [InlineData(HarnessStop.AfterShareKeys, "Only 5 clients are left to unmask the sum")]
    public async Task Below_the_threshold_the_round_fails_with_the_reason_and_no_model_is_stored(HarnessStop stop, string expected)
    {
        var (started, _, updates) = await NewRoundAsync($"sa-below-{(int)stop}", SecureAggregationMode.SecAgg);
        // SecAgg over 10 clients: t = 6. Five drop.
        var behaviours = started.Participants.Where((_, i) => i % 2 == 0).ToDictionary(p => p, _ => new HarnessBehaviour { Stop = stop });

        var aggregated = await _harness.RunRoundAsync(started, updates, behaviours, TimeSpan.FromSeconds(120));
        output.WriteLine($"failure: {aggregated.FailureReason}");

        Assert.False(aggregated.Succeeded);
        Assert.Null(aggregated.AggregateRef);
        Assert.Contains("secure aggregation aborted", aggregated.FailureReason);
        Assert.Contains("threshold t = 6", aggregated.FailureReason);
        Assert.Contains(expected, aggregated.FailureReason);
        Assert.False(_harness.CandidateExists(started.TaskId), "no candidate model may be stored for a failed secure round");
        // Nobody was asked to reveal a share.
        Assert.DoesNotContain(SecAggMessageKind.UnmaskingRequest, _harness.Clients.Received);
    }

    [Fact]
    public async Task A_dealer_of_corrupted_shares_is_named_in_the_rejections_and_the_round_goes_on()
    {
        var (started, global, updates) = await NewRoundAsync("sa-bad-share", SecureAggregationMode.SecAgg);
        var dealer = started.Participants[2];
        var behaviours = new Dictionary<string, HarnessBehaviour> { [dealer] = new() { CorruptSharesFor = [5] } };

        var aggregated = await _harness.RunRoundAsync(started, updates, behaviours, TimeSpan.FromSeconds(120));

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        var rejected = Assert.Single(aggregated.Rejected);
        output.WriteLine($"{rejected.ClientId}: {rejected.Reason}");
        Assert.Equal(dealer, rejected.ClientId);
        Assert.Contains("failed decryption or did not match its commitments at holders 5", rejected.Reason);
        Assert.Contains("already in the sum", rejected.Reason);
        Assert.DoesNotContain(dealer, aggregated.Contributors.Select(c => c.ClientId));
        Assert.Equal(ClientCount - 1, aggregated.Contributors.Length);
        // Its masked input could not be taken out of the total: the mean is over all ten (its secrets were still recovered).
        var candidate = await _harness.Models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None);
        AssertMeanOfClipped(global, updates, started.Participants, candidate);
    }

    [Fact]
    public async Task A_corrupted_protocol_message_gets_its_sender_rejected_and_the_others_are_aggregated()
    {
        var (started, global, updates) = await NewRoundAsync("sa-garbage", SecureAggregationMode.SecAggPlus);
        var sender = started.Participants[7];
        var behaviours = new Dictionary<string, HarnessBehaviour> { [sender] = new() { GarbageAdvertiseKeys = true } };

        var aggregated = await _harness.RunRoundAsync(started, updates, behaviours, TimeSpan.FromSeconds(120));

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        var rejected = Assert.Single(aggregated.Rejected);
        output.WriteLine($"{rejected.ClientId}: {rejected.Reason}");
        Assert.Equal(sender, rejected.ClientId);
        Assert.Contains("malformed secure-aggregation message in the advertise-keys phase", rejected.Reason);
        var inSum = started.Participants.Where(p => p != sender).ToArray();
        Assert.Equal(inSum, aggregated.Contributors.Select(c => c.ClientId).Order(StringComparer.Ordinal));
        var candidate = await _harness.Models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None);
        AssertMeanOfClipped(global, updates, inSum, candidate);
    }

    [Fact]
    public async Task A_plain_float32_update_in_a_secure_round_is_refused_with_a_reason_and_kept_out_of_the_sum()
    {
        var (started, global, updates) = await NewRoundAsync("sa-plain", SecureAggregationMode.SecAgg);
        var leaker = started.Participants[4];
        var behaviours = new Dictionary<string, HarnessBehaviour> { [leaker] = new() { SendsPlainSlices = true } };

        var aggregated = await _harness.RunRoundAsync(started, updates, behaviours, TimeSpan.FromSeconds(120));

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        var rejected = Assert.Single(aggregated.Rejected);
        output.WriteLine($"{rejected.ClientId}: {rejected.Reason}");
        Assert.Equal(leaker, rejected.ClientId);
        Assert.Contains("plain Float32 slice", rejected.Reason);
        Assert.DoesNotContain("already in the sum", rejected.Reason);
        var inSum = started.Participants.Where(p => p != leaker).ToArray();
        Assert.Equal(inSum, aggregated.Contributors.Select(c => c.ClientId).Order(StringComparer.Ordinal));
        var candidate = await _harness.Models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None);
        AssertMeanOfClipped(global, updates, inSum, candidate);
        // The only float32 records the service read are the refused ones.
        var plain = _harness.Consumed.Records.Where(r => r.Task == started.TaskId && r.Type == ElementType.Float32).ToList();
        Assert.Equal(3, plain.Count);
        Assert.All(plain, r => Assert.Equal(leaker, r.Client));
    }

    [Theory]
    [InlineData("two of three slices")]
    [InlineData("no completion")]
    [InlineData("wrong digest")]
    public async Task An_incomplete_or_inconsistent_masked_input_stays_out_and_the_sum_of_the_others_is_exact(string defect)
    {
        var (started, global, updates) = await NewRoundAsync($"sa-incomplete-{defect.Replace(' ', '-')}", SecureAggregationMode.SecAggPlus);
        var faulty = started.Participants[6];
        var behaviour = defect switch
        {
            "two of three slices" => new HarnessBehaviour { MaskedSlicesSent = 2 },
            "no completion" => new HarnessBehaviour { SkipsCompletion = true },
            _ => new HarnessBehaviour { WrongDigest = true },
        };

        var aggregated = await _harness.RunRoundAsync(started, updates, new Dictionary<string, HarnessBehaviour> { [faulty] = behaviour }, TimeSpan.FromSeconds(120));
        output.WriteLine($"{defect}: dropouts [{string.Join(", ", aggregated.Dropouts)}], rejected [{string.Join("; ", aggregated.Rejected.Select(r => $"{r.ClientId}: {r.Reason}"))}]");

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        var inSum = started.Participants.Where(p => p != faulty).ToArray();
        Assert.Equal(inSum, aggregated.Contributors.Select(c => c.ClientId).Order(StringComparer.Ordinal));
        if (defect == "wrong digest")
        {
            var rejected = Assert.Single(aggregated.Rejected);
            Assert.Equal(faulty, rejected.ClientId);
            Assert.Contains("do not match the digest", rejected.Reason);
        }
        else
        {
            Assert.Equal([faulty], aggregated.Dropouts); // its partial input was discarded; its masks were removed as a dropout's
            Assert.Empty(aggregated.Rejected);
        }
        var candidate = await _harness.Models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None);
        AssertMeanOfClipped(global, updates, inSum, candidate);
    }

    private async Task<(RoundStarted Started, float[] Global, Dictionary<string, float[]> Updates)> NewRoundAsync(string taskId, SecureAggregationMode mode)
    {
        var rng = new Random(taskId.Length * 7919 + (int)mode);
        var global = Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        await _harness.SaveInitialModelAsync(taskId, global);
        var participants = Enumerable.Range(0, ClientCount).Select(i => $"client-{i:D2}").ToArray();
        // Updates in [-0.8, 0.8]: about a third of the coordinates are clipped to [-0.5, 0.5].
        var updates = participants.ToDictionary(p => p, _ => Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() * 1.6 - 0.8)).ToArray());
        var privacy = PrivacyConfig.None with { SecureAggregation = mode, SecureAggregationClip = Clip };
        var started = new RoundStarted(taskId, 1, 0, participants, DateTimeOffset.UtcNow.AddSeconds(RoundSeconds), new TrainingConfig(1, 10, 0.1), privacy,
            SliceElements, "logreg", "fedavg", [], 0.5, 11);
        return (started, global, updates);
    }

    /// <summary>Checks model = global + mean over <paramref name="inSum"/> of the clipped updates within Δ/2 plus float rounding.</summary>
    private static double AssertMeanOfClipped(float[] global, Dictionary<string, float[]> updates, IReadOnlyCollection<string> inSum, float[] model)
    {
        var quantizer = new FixedPointQuantizer(Clip, ClientCount);
        Assert.Equal(global.Length, model.Length);
        var largest = 0.0;
        for (var i = 0; i < global.Length; i++)
        {
            var mean = inSum.Average(id => Math.Clamp((double)updates[id][i], -Clip, Clip));
            var expected = global[i] + mean;
            // Δ/2 from the quantiser (m·Δ/2 on the sum, divided by m), plus the float rounding of the mean and of global + mean.
            var scale = (float)Math.Max(Math.Abs(global[i]), Math.Max(Math.Abs(mean), Math.Abs(expected)));
            var tolerance = quantizer.Step / 2 + 2 * ((double)MathF.BitIncrement(scale) - scale);
            var error = Math.Abs(model[i] - expected);
            largest = Math.Max(largest, error);
            Assert.True(error <= tolerance, $"coordinate {i}: model {model[i]:R}, expected {expected:R} (error {error:E3} > {tolerance:E3})");
        }
        return largest;
    }
}
