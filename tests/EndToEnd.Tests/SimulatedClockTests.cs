using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Data;
using FlMicroservices.Node;
using FlMicroservices.Simulation;
using FlMicroservices.Simulation.Clock;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>The simulated clock: device profiles, availability windows, failures, the deadline, and a run's simulated time and bytes.</summary>
public sealed class SimulatedClockTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-clock-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private static readonly DeviceProfile Bare = new(1, 1e6, 1e6, 0, null, 0); // no latency, 1 MB/s both ways

    [Fact]
    public void A_client_with_half_the_speed_takes_twice_the_simulated_training_time()
    {
        var full = Bare.RoundSeconds(samplesProcessed: 30_000, downloadBytes: 0, uploadBytes: 0, referenceSamplesPerSecond: 10_000);
        var half = (Bare with { Speed = 0.5 }).RoundSeconds(30_000, 0, 0, 10_000);
        Assert.Equal(3.0, full, 12);
        Assert.Equal(6.0, half, 12);
        // Transfers and latency add on: 2 x 0.1 s latency, 4 MB down at 2 MB/s, 1 MB up at 0.5 MB/s.
        var connected = new DeviceProfile(1, 0.5e6, 2e6, 0.1, null, 0).RoundSeconds(30_000, 4_000_000, 1_000_000, 10_000);
        Assert.Equal(0.2 + 2 + 3 + 2, connected, 12);
    }

    [Fact]
    public void An_availability_window_repeats_and_must_cover_the_whole_round()
    {
        var night = new AvailabilityWindow(AvailabilityWindow.Day, StartSeconds: 22 * 3600, LengthSeconds: 8 * 3600); // 22:00 to 06:00
        Assert.True(night.Covers(23 * 3600, 23 * 3600 + 60));
        Assert.True(night.Covers(AvailabilityWindow.Day + 3600, AvailabilityWindow.Day + 3660)); // 01:00 the next day
        Assert.False(night.Covers(12 * 3600, 12 * 3600)); // noon
        Assert.False(night.Covers(5.5 * 3600, 6.5 * 3600)); // starts inside, ends after 06:00
        Assert.True(new AvailabilityWindow(100, 0, 100).Covers(42, 4_200)); // a window as long as its period is always open
    }

    [Fact]
    public void A_client_outside_its_window_does_not_train_and_a_failing_one_sends_nothing()
    {
        var clock = new SimulatedClock(10_000);
        var profiles = new Dictionary<string, DeviceProfile>
        {
            ["awake"] = Bare,
            ["asleep"] = Bare with { Window = new AvailabilityWindow(AvailabilityWindow.Day, 3600, 3600) }, // 01:00 to 02:00; the clock is at 0
            ["broken"] = Bare with { FailureProbability = 0.999_999 },
        };
        var gate = new ClockedParticipation(clock, profiles, deadlineSeconds: 60, NoDropouts());
        var round = Round(1, "awake", "asleep", "broken");
        var selected = Clients("awake", "asleep", "broken");

        var admission = gate.Admit(round, selected);

        Assert.Equal(["awake"], admission.Admitted.Select(c => c.ClientId));
        // Both others decline, so that the simulation's round need not wait for them on the wall clock.
        Assert.Equal(["asleep", "broken"], admission.Declined.Select(d => d.Client.ClientId));
        Assert.Contains("availability window", admission.Declined[0].Reason, StringComparison.Ordinal);
        Assert.Contains("failed", admission.Declined[1].Reason, StringComparison.Ordinal);
        var verdicts = gate.Submit(round, selected, admission.Admitted, [20_000], modelValues: 250_000); // 1 MB each way
        Assert.True(Assert.Single(verdicts).Sends);
        var record = clock.Round(1)!;
        Assert.Equal(4, verdicts[0].Seconds!.Value, 9); // 1 s down, 2 s training, 1 s up: reported with the update
        Assert.Equal((1, 1, 0), (record.Unavailable, record.Failed, record.Late));
        // A failed client could not announce itself: the synchronous round waits until its deadline.
        Assert.Equal(60, record.Seconds);
        Assert.Equal(1_000_000, record.BytesDown);
        Assert.Equal(1_000_000, record.BytesUp);
        Assert.Equal(60, clock.Now);
    }

    [Fact]
    public void A_client_that_declines_at_the_start_does_not_hold_the_round_to_its_deadline()
    {
        var clock = new SimulatedClock(10_000);
        var profiles = new Dictionary<string, DeviceProfile>
        {
            ["awake"] = Bare,
            ["asleep"] = Bare with { Window = new AvailabilityWindow(AvailabilityWindow.Day, 3600, 3600) },
        };
        var gate = new ClockedParticipation(clock, profiles, deadlineSeconds: 60, NoDropouts());
        var round = Round(1, "awake", "asleep");
        var admission = gate.Admit(round, Clients("awake", "asleep"));
        Assert.Equal("asleep", Assert.Single(admission.Declined).Client.ClientId);

        gate.Submit(round, Clients("awake", "asleep"), admission.Admitted, [20_000], modelValues: 250_000);

        // The sleeping client said so at once: the round ends with the awake client's update (4 s), not at the 60 s deadline.
        Assert.Equal(4, clock.Round(1)!.Seconds, 9);
        Assert.Equal(1, clock.Round(1)!.Unavailable);
    }

    [Fact]
    public void A_round_lasts_until_its_slowest_client_and_a_client_past_the_deadline_is_dropped()
    {
        var clock = new SimulatedClock(10_000);
        var profiles = new Dictionary<string, DeviceProfile> { ["fast"] = Bare, ["slow"] = Bare with { Speed = 0.25 }, ["snail"] = Bare with { Speed = 0.01 } };
        var gate = new ClockedParticipation(clock, profiles, deadlineSeconds: 100, NoDropouts());

        // Round 1: fast and slow, 10,000 samples each, no bytes: 1 s and 4 s; the round lasts 4 s.
        var first = Round(1, "fast", "slow");
        var both = gate.Admit(first, Clients("fast", "slow")).Admitted;
        var firstVerdicts = gate.Submit(first, Clients("fast", "slow"), both, [10_000, 10_000], 0);
        Assert.Equal([true, true], firstVerdicts.Select(v => v.Sends));
        Assert.Equal([1.0, 4.0], firstVerdicts.Select(v => Math.Round(v.Seconds!.Value, 9))); // each client's simulated time, for its manifest
        Assert.Equal(4, clock.Round(1)!.Seconds, 12);
        Assert.Equal(4, clock.Now, 12);

        // Round 2 starts at 4 s: the snail would need 100 s + ... over the deadline: it trains but never arrives.
        var second = Round(2, "fast", "snail");
        var admitted = gate.Admit(second, Clients("fast", "snail")).Admitted;
        var secondVerdicts = gate.Submit(second, Clients("fast", "snail"), admitted, [10_000, 10_001], 0);
        Assert.Equal([true, false], secondVerdicts.Select(v => v.Sends));
        // The straggler declines with the time it would have needed, which the selector's history keeps (docs/selection.md).
        Assert.StartsWith("late: it would need 100", secondVerdicts[1].DeclineReason, StringComparison.Ordinal);
        Assert.Equal(100.01, secondVerdicts[1].Seconds!.Value, 9);
        var record = clock.Round(2)!;
        Assert.Equal((4.0, 100.0, 1), (record.Start, record.Seconds, record.Late));
        Assert.Equal(104, clock.Now, 12);

        // A redelivered round changes nothing.
        clock.Complete(record with { Seconds = 1_000 });
        Assert.Equal(104, clock.Now, 12);
    }

    [Fact]
    public void Under_fold_a_late_client_sends_after_the_close_declines_the_next_round_while_busy_and_counts_only_if_it_arrives_before_that_closes()
    {
        var clock = new SimulatedClock(10_000);
        var profiles = new Dictionary<string, DeviceProfile>
        {
            ["fast"] = Bare, ["slow"] = Bare with { Speed = 0.25 }, ["snail"] = Bare with { Speed = 0.05 }, ["mid"] = Bare with { Speed = 1.0 / 3 },
        };
        var gate = new ClockedParticipation(clock, profiles, deadlineSeconds: 100, NoDropouts());

        // Round 1 needs one update: fast arrives at 1 s and closes it; slow (4 s) and snail (20 s) send after the close.
        var first = Round(1, "fast", "slow", "snail") with { Settings = new RoundSettings(TargetUpdates: 1, LateUpdates: LateUpdatePolicy.Fold) };
        var admitted = gate.Admit(first, Clients("fast", "slow", "snail")).Admitted;
        var verdicts = gate.Submit(first, Clients("fast", "slow", "snail"), admitted, [10_000, 10_000, 10_000], 0);
        Assert.Equal([(true, false), (false, true), (false, true)], verdicts.Select(v => (v.Sends, v.SendsAfterClose)));
        Assert.Equal(1, clock.Round(1)!.End, 9);

        // Round 2 starts at 1 s: slow and snail are still busy and decline; mid takes 3 s, so the round closes at 4 s.
        var second = Round(2, "mid", "slow", "snail") with { Settings = new RoundSettings(LateUpdates: LateUpdatePolicy.Fold) };
        var admission = gate.Admit(second, Clients("mid", "slow", "snail"));
        Assert.Equal(["slow", "snail"], admission.Declined.Select(d => d.Client.ClientId));
        Assert.All(admission.Declined, d => Assert.StartsWith("busy: its update of round 1 arrives at", d.Reason, StringComparison.Ordinal));
        gate.Submit(second, Clients("mid", "slow", "snail"), admission.Admitted, [10_000], 0);
        Assert.Equal(4, clock.Round(2)!.End, 9);

        Assert.True(gate.ArrivesBeforeClose(second, 1, "slow")); // at 4 s
        Assert.False(gate.ArrivesBeforeClose(second, 1, "snail")); // at 20 s: two rounds late, dropped
        Assert.False(gate.ArrivesBeforeClose(second, 1, "fast")); // it was never late

        // Under drop nothing is held back: the late client only declines.
        var dropping = new ClockedParticipation(new SimulatedClock(10_000), profiles, deadlineSeconds: 100, NoDropouts());
        var plain = Round(1, "fast", "slow") with { Settings = new RoundSettings(TargetUpdates: 1) };
        var dropped = dropping.Submit(plain, Clients("fast", "slow"), dropping.Admit(plain, Clients("fast", "slow")).Admitted, [10_000, 10_000], 0);
        Assert.Equal([(true, false), (false, false)], dropped.Select(v => (v.Sends, v.SendsAfterClose)));
    }

    [Fact]
    public void Named_distributions_repeat_with_their_seed_and_differ_in_spread()
    {
        Assert.Equal(DeviceProfiles.Create("heavy-tail", 500, 7), DeviceProfiles.Create("heavy-tail", 500, 7));
        Assert.NotEqual(DeviceProfiles.Create("heavy-tail", 500, 7), DeviceProfiles.Create("heavy-tail", 500, 8));
        Assert.All(DeviceProfiles.Create("uniform", 50, 1), p => Assert.Equal(DeviceProfile.Reference, p));

        var heavy = DeviceProfiles.Create("heavy-tail", 2_000, 1);
        var speeds = heavy.Select(p => p.Speed).Order().ToArray();
        Assert.InRange(speeds[speeds.Length / 2], 0.85, 1.15); // log-normal around the reference: median 1
        Assert.True(speeds[^100] / speeds[99] > 10, $"the middle 90% of speeds spans only {speeds[^100] / speeds[99]:F1}x");
        Assert.All(heavy, p => Assert.Null(p.Problem()));

        var mobile = DeviceProfiles.Create("mobile", 1_000, 1);
        Assert.All(mobile, p => Assert.InRange(p.Window!.LengthSeconds, 4 * 3600, 10 * 3600));
        var awakeAtNoon = mobile.Count(p => p.Window!.Covers(12 * 3600, 12 * 3600));
        Assert.InRange(awakeAtNoon, 150, 450); // about 7 h of 24 on average
    }

    [Fact]
    public void A_profile_file_is_read_row_by_row_and_a_bad_row_is_named()
    {
        Directory.CreateDirectory(_out);
        var path = Path.Combine(_out, "profiles.csv");
        File.WriteAllLines(path, [DeviceProfiles.CsvHeader, "1,1e6,2e6,0.1,0,0,0,0", "0.5,5e5,1e6,0.2,86400,3600,7200,0.1"]);
        var profiles = DeviceProfiles.Create("csv:" + path, 2, seed: 1);
        Assert.Equal(new DeviceProfile(1, 1e6, 2e6, 0.1, null, 0), profiles[0]);
        Assert.Equal(new DeviceProfile(0.5, 5e5, 1e6, 0.2, new AvailabilityWindow(86400, 3600, 7200), 0.1), profiles[1]);

        var tooFew = Assert.Throws<ArgumentException>(() => DeviceProfiles.Create("csv:" + path, 3, 1));
        Assert.Contains("2 profiles for 3 clients", tooFew.Message, StringComparison.Ordinal);
        File.WriteAllLines(path, [DeviceProfiles.CsvHeader, "1,1e6,2e6,0.1,0,0,0,0", "-2,5e5,1e6,0.2,0,0,0,0.1"]);
        var bad = Assert.Throws<ArgumentException>(() => DeviceProfiles.Create("csv:" + path, 2, 1));
        Assert.Contains("line 3: speed -2 must be", bad.Message, StringComparison.Ordinal);
        File.WriteAllLines(path, [DeviceProfiles.CsvHeader, "1,NaN,2e6,0.1,0,0,0,0"]);
        Assert.Contains("line 2: uplink_bytes_per_second 'NaN' is not a finite number", Assert.Throws<ArgumentException>(() => DeviceProfiles.Create("csv:" + path, 1, 1)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_clock_options_are_named()
    {
        var options = new SimulationOptions { Clients = 4, OutDir = _out };
        Assert.Contains((options with { Profiles = "satellite" }).Validate(), p => p.Contains("--profiles 'satellite' is unknown", StringComparison.Ordinal));
        Assert.Contains((options with { Profiles = "uniform", RoundDeadline = 0 }).Validate(), p => p.StartsWith("--round-deadline 0", StringComparison.Ordinal));
        Assert.Contains((options with { Profiles = "uniform", RoundDeadline = double.NaN }).Validate(), p => p.StartsWith("--round-deadline NaN", StringComparison.Ordinal));
        Assert.Contains((options with { Profiles = "uniform", SecAgg = "secagg" }).Validate(), p => p.StartsWith("--profiles cannot be combined with --secagg", StringComparison.Ordinal));
        Assert.Contains((options with { Profiles = "csv:" + Path.Combine(_out, "missing.csv") }).Validate(), p => p.Contains("cannot read the file", StringComparison.Ordinal));
        Assert.Empty((options with { Profiles = "heavy-tail" }).Validate());
    }

    // Five clients under a 30 s simulated deadline: four reference devices on a slow link, and one so slow that it misses every deadline.
    private SimulationOptions FourDevicesAndAStraggler(double stragglerSpeed = 0.00001)
    {
        Directory.CreateDirectory(_out);
        var csv = Path.Combine(_out, "profiles.csv");
        File.WriteAllLines(csv, [DeviceProfiles.CsvHeader, .. Enumerable.Repeat("1,1e5,1e6,0.05,0,0,0,0", 4),
            FormattableString.Invariant($"{stragglerSpeed:R},1e5,1e6,0.05,0,0,0,0")]);
        return new SimulationOptions
        {
            Dataset = "synthetic", Clients = 5, LocalEpochs = 1, Seed = 5, Parallelism = 2, OutDir = _out, Profiles = "csv:" + csv,
            RoundDeadline = 30, Quorum = 0.5,
        };
    }

    [Fact]
    public async Task With_over_selection_a_round_closes_with_the_updates_it_needs_and_does_not_wait_for_the_straggler()
    {
        // 0.8 of 5 clients is 4 a round; a quarter more picks all 5, and the round closes once 4 updates arrived.
        var options = FourDevicesAndAStraggler() with
        {
            Fraction = 0.8, Rounds = 2, OverSelection = 0.25, RoundTimeout = SimulationOptions.RoundTimeoutFor(null, 0, roundDeadline: 30),
        };

        var result = await SimulationRunner.RunAsync(options);

        Assert.Equal(2, result.Rounds);
        Assert.All(result.PerRound, r =>
        {
            Assert.Equal(4, r.Contributors);
            Assert.Equal(1, r.Late); // the straggler, told the round closed without it
            Assert.InRange(r.SimulatedSeconds!.Value, 0.1, 29); // the fourth update's time, not the 30 s deadline
        });
    }

    [Fact]
    public async Task With_over_selection_the_client_a_round_did_not_wait_for_is_recorded_as_declined_and_never_demoted()
    {
        // The straggler is picked every round and cut every round by the target of 4. A client the round did not wait for is not
        // silent: were it counted as a missed round, three rounds in a row would demote it (DemotionOptions.AfterMissedRounds),
        // for a wall-clock period, and which rounds it then sat out would depend on the machine's speed, not on the seed.
        var options = FourDevicesAndAStraggler(stragglerSpeed: 0.5) with
        {
            Fraction = 0.8, Rounds = 5, OverSelection = 0.25, RoundTimeout = SimulationOptions.RoundTimeoutFor(null, 0, roundDeadline: 30),
        };
        var events = new EventLog();

        var result = await SimulationRunner.RunAsync(options, events: events);

        Assert.Equal(5, result.Rounds);
        var completed = events.All.Select(e => e.Message).OfType<RoundCompleted>().OrderBy(r => r.Round).ToArray();
        Assert.Equal(5, completed.Length);
        Assert.All(completed, r =>
        {
            Assert.Equal(5, r.Participants!.Length); // nobody demoted: all five healthy and picked every round
            Assert.Equal(4, r.Contributors.Length);
            var cut = Assert.Single(r.Dropouts);
            Assert.Contains(r.Declined!, d => d.ClientId == cut); // declined (its own decline, or not waited for), never silent
        });
    }

    [Theory]
    [InlineData(LateUpdatePolicy.Fold)]
    [InlineData(LateUpdatePolicy.Drop)]
    public async Task With_fold_the_straggler_of_round_1_sends_into_round_2_at_its_staleness_weight_and_with_drop_it_does_not(string policy)
    {
        // At half speed the straggler finishes after round 1 closed with the 4 fast updates, and before round 2 does; while it
        // finishes it is busy and declines round 2, into which its late update is folded.
        var options = FourDevicesAndAStraggler(stragglerSpeed: 0.5) with
        {
            Fraction = 0.8, Rounds = 3, OverSelection = 0.25, LateUpdates = policy, RoundTimeout = SimulationOptions.RoundTimeoutFor(null, 0, roundDeadline: 30),
        };
        var events = new EventLog();

        var result = await SimulationRunner.RunAsync(options, events: events);

        Assert.Equal(3, result.Rounds);
        var completed = events.All.Select(e => e.Message).OfType<RoundCompleted>().OrderBy(r => r.Round).ToArray();
        var straggler = Assert.Single(events.All.Select(e => e.Message).OfType<UpdateDeclined>(), d => d.Round == 1).ClientId;
        if (policy == LateUpdatePolicy.Fold)
        {
            Assert.Equal([(4, 1, 0, (int?)null), (5, 0, 1, 1), (4, 1, 0, null)], result.PerRound.Select(r => (r.Contributors, r.Late!.Value, r.Unavailable!.Value, r.LateFolded)));
            // Its round-1 manifest went out after round 1 closed; round 2 counts it with its examples times 1/sqrt(2), rounded.
            var sent = Assert.Single(events.All.Select(e => e.Message).OfType<UpdateSubmitted>(), u => u.ClientId == straggler && u.Round == 1);
            var folded = Assert.Single(completed[1].Contributors, c => c.LateFrom is not null);
            Assert.Equal((straggler, 1, LateUpdatePolicy.FoldedWeight(sent.ExampleCount)), (folded.ClientId, folded.LateFrom!.Value, folded.ExampleCount));
            Assert.True(folded.ExampleCount < sent.ExampleCount);
        }
        else
        {
            Assert.All(result.PerRound, r => Assert.Equal((4, 1, 0, (int?)null), (r.Contributors, r.Late!.Value, r.Unavailable!.Value, r.LateFolded)));
            Assert.DoesNotContain(events.All.Select(e => e.Message).OfType<UpdateSubmitted>(), u => u.ClientId == straggler && u.Round == 1);
            Assert.All(completed, r => Assert.All(r.Contributors, c => Assert.Null(c.LateFrom)));
        }
    }

    [Fact]
    public async Task A_run_under_the_clock_reports_simulated_time_and_bytes_per_round()
    {
        // The straggler declines, so the wall-clock round does not wait the 20 s timeout for it.
        var options = FourDevicesAndAStraggler() with { Fraction = 1.0, Rounds = 3, RoundTimeout = TimeSpan.FromSeconds(20) };

        var result = await SimulationRunner.RunAsync(options);

        Assert.Equal(3, result.Rounds);
        Assert.All(result.PerRound, r =>
        {
            Assert.Equal(4, r.Contributors); // the slow device trained but never arrived
            Assert.Equal(1, r.Late);
            Assert.Equal(30, r.SimulatedSeconds); // one selected client never reports: the round waits for its deadline
            Assert.Equal(5 * r.BytesUp / 4, r.BytesDown); // five downloaded, four uploaded, the same model size both ways
        });
        Assert.Equal([30.0, 60, 90], result.PerRound.Select(r => r.SimulatedTime!.Value));
        Assert.Equal(90, result.SimulatedSeconds);

        // metrics.jsonl is written by the CLI; the records serialise with the new fields.
        var json = JsonSerializer.Serialize(result.PerRound[0]);
        foreach (var field in new[] { "simulated_seconds", "simulated_time", "bytes_down", "bytes_up", "late" })
            Assert.Contains($"\"{field}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"simulated_seconds\":90", JsonSerializer.Serialize(result), StringComparison.Ordinal);
    }

    private static NodeGate NoDropouts() => new(Options.Create(new NodeOptions()), TimeProvider.System, NullLogger<NodeGate>.Instance);

    private static HostedClient[] Clients(params string[] ids) =>
        ids.Select(id => new HostedClient(id, new InMemoryDataset(new float[4], [0], [4], 2))).ToArray();

    private static RoundStarted Round(int round, params string[] participants) =>
        new("clock", round, round - 1, participants, DateTimeOffset.MaxValue, new TrainingConfig(1, 10, 0.1), PrivacyConfig.None,
            1024, "logreg", "fedavg", new Dictionary<string, string>(), 0.5, 9);
}

/// <summary>A real node's idle-only schedule (Node:TrainingWindow).</summary>
public sealed class TrainingWindowTests
{
    [Theory]
    [InlineData("22:00-06:00", 23, 30, true)]
    [InlineData("22:00-06:00", 5, 59, true)]
    [InlineData("22:00-06:00", 6, 0, false)]
    [InlineData("22:00-06:00", 12, 0, false)]
    [InlineData("09:00-17:00", 9, 0, true)]
    [InlineData("09:00-17:00", 17, 0, false)]
    public void A_daily_window_may_run_past_midnight(string window, int hour, int minute, bool inside) =>
        Assert.Equal(inside, DailyWindow.Parse(window, out _)!.Contains(new TimeOnly(hour, minute)));

    [Fact]
    public void Outside_its_window_a_node_lets_no_selected_client_train()
    {
        var clients = new[] { new HostedClient("a", new InMemoryDataset(new float[4], [0], [4], 2)), new HostedClient("b", new InMemoryDataset(new float[4], [0], [4], 2)) };
        var round = new RoundStarted("t", 1, 0, ["a", "b"], DateTimeOffset.MaxValue, new TrainingConfig(1, 10, 0.1), PrivacyConfig.None,
            1024, "logreg", "fedavg", new Dictionary<string, string>(), 0.5, 9);
        var night = Options.Create(new NodeOptions { TrainingWindow = "22:00-06:00" });
        var outside = new NodeGate(night, new FixedLocalTime(new TimeOnly(12, 0)), NullLogger<NodeGate>.Instance).Admit(round, clients);
        Assert.Empty(outside.Admitted);
        // They decline with the reason, so the round does not wait for them.
        Assert.Equal(["a", "b"], outside.Declined.Select(d => d.Client.ClientId));
        Assert.All(outside.Declined, d => Assert.Equal("outside its node's training window 22:00-06:00", d.Reason));
        Assert.Equal(2, new NodeGate(night, new FixedLocalTime(new TimeOnly(23, 0)), NullLogger<NodeGate>.Instance).Admit(round, clients).Admitted.Count);
        Assert.Equal(2, new NodeGate(Options.Create(new NodeOptions()), new FixedLocalTime(new TimeOnly(12, 0)), NullLogger<NodeGate>.Instance).Admit(round, clients).Admitted.Count);

        var bad = new NodeOptions { TrainingWindow = "night" }.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(new object())).Single();
        Assert.StartsWith("Node:TrainingWindow 'night' is not a daily window", bad.ErrorMessage, StringComparison.Ordinal);
    }

    /// <summary>A clock whose local time of day is fixed (UTC as the local zone).</summary>
    private sealed class FixedLocalTime(TimeOnly time) : TimeProvider
    {
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
        public override DateTimeOffset GetUtcNow() => new(new DateOnly(2026, 12, 7).ToDateTime(time), TimeSpan.Zero);
    }
}
