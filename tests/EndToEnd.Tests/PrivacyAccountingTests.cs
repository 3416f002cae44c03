using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Privacy;
using FlMicroservices.PrivacyAccounting;
using FlMicroservices.Selector;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>
/// The privacy-accounting service's logic (<see cref="TaskPrivacy"/>) and the selector's Poisson sampling, without a bus.
/// (Here rather than in Services.Tests, whose project does not reference these two services.)
/// </summary>
public class PrivacyAccountingTests
{
    private static readonly PrivacyConfig Central = new(true, 1.1, 1.0, 2.0, 1e-5);

    private static RoundCompleted Completed(int round, params (string Id, int Examples)[] contributors) => new(
        "task", round, round, true, false, 0.5, 1.0, contributors.Select(c => c.Id).ToArray(),
        contributors.Select(c => new Contribution(c.Id, c.Examples, 1.0, 0.5)).ToArray(), [], [], null, DateTimeOffset.UnixEpoch);

    private static double Epsilon(double sigma, double q, int steps, double delta = 1e-5)
    {
        var accountant = new RdpAccountant();
        accountant.Step(sigma, q, steps);
        return accountant.GetEpsilon(delta).Epsilon;
    }

    [Fact]
    public async Task A_budget_check_that_overtakes_its_TaskCreated_waits_for_it()
    {
        var ledger = new PrivacyLedger();
        var waiting = ledger.FindAsync("late", TimeSpan.FromMinutes(2), CancellationToken.None);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        ledger.Add("late", Central);
        var found = await waiting.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Same(ledger.Find("late"), found);
        Assert.Null(await ledger.FindAsync("never", TimeSpan.FromMilliseconds(200), CancellationToken.None)); // a task it never hears of: refused after the wait
    }

    [Fact]
    public void Central_rounds_run_while_the_next_one_fits_and_the_first_that_would_not_is_refused()
    {
        const double q = 0.1;
        var k = 0;
        while (Epsilon(1.1, q, k + 1) <= Central.EpsilonBudget) k++;
        Assert.InRange(k, 2, 500);
        var task = new TaskPrivacy("task", Central);

        for (var round = 1; round <= k; round++)
        {
            var decision = task.Decide(round, q);
            Assert.True(decision.Allowed, $"round {round}: {decision.Reason}");
            Assert.Equal(Epsilon(1.1, q, round), decision.EpsilonIfRun, 1e-12);
            Assert.Equal(Epsilon(1.1, q, round), task.RecordCompleted(Completed(round)), 1e-12);
        }
        var refused = task.Decide(k + 1, q);

        Assert.False(refused.Allowed);
        Assert.Equal(Epsilon(1.1, q, k + 1), refused.EpsilonIfRun, 1e-12);
        Assert.True(refused.EpsilonIfRun > Central.EpsilonBudget);
        Assert.Contains("exhausted", refused.Reason);
        Assert.Equal(new PrivacyBudgetExhausted("task", k, task.EpsilonSpent, 2.0, 1e-5), refused.Exhausted);
        Assert.True(task.EpsilonSpent <= Central.EpsilonBudget);
        Assert.Equal(k, task.RoundsCompleted);
        Assert.True(task.TryAnnounceExhaustion());
        Assert.False(task.TryAnnounceExhaustion()); // announced once
    }

    [Fact]
    public void A_round_allowed_but_not_yet_recorded_counts_for_the_next_check()
    {
        var task = new TaskPrivacy("task", Central with { EpsilonBudget = 10 });
        Assert.True(task.Decide(1, 0.1).Allowed);

        // The selector asks about round 2 before this service has seen RoundCompleted of round 1.
        var second = task.Decide(2, 0.2);

        var expected = new RdpAccountant();
        expected.Step(1.1, 0.1);
        expected.Step(1.1, 0.2);
        Assert.True(second.Allowed);
        Assert.Equal(expected.GetEpsilon(1e-5).Epsilon, second.EpsilonIfRun, 1e-12);
        Assert.Equal(0, task.EpsilonSpent); // nothing completed yet
        task.RecordCompleted(Completed(1));
        Assert.Equal(Epsilon(1.1, 0.1, 1), task.EpsilonSpent, 1e-12); // round 1 at the rate it was checked with
        task.RecordCompleted(Completed(2));
        Assert.Equal(expected.GetEpsilon(1e-5).Epsilon, task.EpsilonSpent, 1e-12);
    }

    [Fact]
    public void A_redelivered_round_is_recorded_once()
    {
        var task = new TaskPrivacy("task", Central);
        task.Decide(1, 0.1);

        var first = task.RecordCompleted(Completed(1));
        var again = task.RecordCompleted(Completed(1));

        Assert.Equal(first, again);
        Assert.Equal(1, task.RoundsCompleted);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_round_with_an_impossible_sampling_rate_is_refused(double q)
    {
        var decision = new TaskPrivacy("task", Central).Decide(1, q);

        Assert.False(decision.Allowed);
        Assert.Contains("sampling rate", decision.Reason);
        Assert.Null(decision.Exhausted);
    }

    [Fact]
    public void Without_differential_privacy_every_round_fits_and_nothing_is_spent()
    {
        var task = new TaskPrivacy("task", PrivacyConfig.None);

        Assert.True(task.Decide(1, 0.3).Allowed);
        Assert.Equal(0, task.RecordCompleted(Completed(1, ("a", 10))));
        Assert.Equal(0, task.EpsilonSpent);
    }

    [Fact]
    public void Local_dp_accounts_each_client_from_its_examples_and_the_tasks_batch_size_and_epochs()
    {
        var config = Central with { NoiseMultiplier = 1.0, EpsilonBudget = 20, Mechanism = PrivacyMechanism.Local };
        var task = new TaskPrivacy("task", config, new TrainingConfig(LocalEpochs: 2, BatchSize: 10, LearningRate: 0.1));
        Assert.True(task.Decide(1, 0.5).Allowed); // nobody has trained yet

        task.RecordCompleted(Completed(1, ("small", 40), ("large", 95)));
        task.RecordCompleted(Completed(2, ("small", 40)));

        // small: 2 rounds × 2 epochs × 4 batches at q = 10/40; large: 1 round × 2 × 10 batches at q = 10/95.
        var clients = task.ClientEpsilons();
        Assert.Equal(Epsilon(1.0, 0.25, 16), clients["small"], 1e-12);
        Assert.Equal(Epsilon(1.0, 10.0 / 95, 20), clients["large"], 1e-12);
        Assert.Equal(Math.Max(clients["small"], clients["large"]), task.EpsilonSpent, 1e-12);
        var next = task.Decide(3, 0.5);
        Assert.Equal(Math.Max(Epsilon(1.0, 0.25, 24), Epsilon(1.0, 10.0 / 95, 40)), next.EpsilonIfRun, 1e-12);
    }

    [Fact]
    public void Local_dp_refuses_the_round_that_would_take_a_known_client_past_the_budget()
    {
        var budget = (Epsilon(1.0, 0.25, 4) + Epsilon(1.0, 0.25, 8)) / 2; // one round of 4 steps fits, two do not
        var config = Central with { NoiseMultiplier = 1.0, EpsilonBudget = budget, Mechanism = PrivacyMechanism.Local };
        var task = new TaskPrivacy("task", config, new TrainingConfig(1, 10, 0.1));
        task.Decide(1, 1);
        task.RecordCompleted(Completed(1, ("a", 40)));

        var refused = task.Decide(2, 1);

        Assert.False(refused.Allowed);
        Assert.Equal(Epsilon(1.0, 0.25, 8), refused.EpsilonIfRun, 1e-12);
        var exhausted = refused.Exhausted!;
        Assert.Equal(1, exhausted.RoundsCompleted);
        Assert.Equal(Epsilon(1.0, 0.25, 4), exhausted.EpsilonSpent, 1e-12);
        Assert.True(exhausted.EpsilonSpent <= budget);
        Assert.Equal(budget, exhausted.EpsilonBudget);
    }

    [Fact]
    public void The_ledger_opens_one_account_per_task_from_its_spec()
    {
        var ledger = new PrivacyLedger();
        var spec = new TaskSpec { ModelName = "logreg", SampleShape = [4], ClassCount = 2, Rounds = 1, Training = new TrainingConfig(3, 7, 0.1), Privacy = Central };

        ledger.Add("t", spec);
        ledger.Add("t", spec with { Privacy = PrivacyConfig.None });

        Assert.Equal(Central, ledger.Find("t")!.Config);
        Assert.Equal(7, ledger.Find("t")!.Training!.BatchSize);
        Assert.Null(ledger.Find("other"));
    }

    [Fact]
    public void A_node_trains_with_dp_sgd_only_when_the_round_asks_for_local_dp()
    {
        RoundStarted Round(PrivacyConfig privacy) => new("task", 3, 2, ["a", "b"], DateTimeOffset.UnixEpoch, new TrainingConfig(1, 10, 0.1),
            privacy, 65_536, "logreg", "fedavg", [], 1.0, 7);
        var local = Central with { Mechanism = PrivacyMechanism.Local, NoiseMultiplier = 0.9, ClippingNorm = 2.5 };

        Assert.Null(Node.RoundParticipation.LocalDpFor(Round(PrivacyConfig.None), "a"));
        Assert.Null(Node.RoundParticipation.LocalDpFor(Round(Central), "a"));
        var secure = Node.RoundParticipation.LocalDpFor(Round(local), "a")!;
        Assert.Equal((0.9, 2.5, (long?)null), (secure.NoiseMultiplier, secure.ClipNorm, secure.NoiseSeed));
        var seeded = Round(local with { NoiseSeed = 11 });
        var a = Node.RoundParticipation.LocalDpFor(seeded, "a")!.NoiseSeed;
        Assert.NotNull(a);
        Assert.Equal(a, Node.RoundParticipation.LocalDpFor(seeded, "a")!.NoiseSeed);
        Assert.NotEqual(a, Node.RoundParticipation.LocalDpFor(seeded, "b")!.NoiseSeed); // each client its own stream
        Assert.NotEqual(a, Node.RoundParticipation.LocalDpFor(seeded with { Round = 4 }, "a")!.NoiseSeed); // and each round
    }

    [Fact]
    public void Poisson_sampling_takes_each_client_with_the_given_probability()
    {
        var clients = Enumerable.Range(0, 200).Select(i => $"c{i:D3}").ToArray();
        var rng = new Random(3);
        var counts = new Dictionary<string, int>();
        var sizes = new List<int>();
        const int draws = 2_000;

        for (var d = 0; d < draws; d++)
        {
            var sample = RoundStarter.PoissonSample(clients, 0.05, 1, rng)!;
            sizes.Add(sample.Length);
            foreach (var id in sample) counts[id] = counts.GetValueOrDefault(id) + 1;
        }

        // Sample size: Binomial(200, 0.05), mean 10 and standard deviation 3.08; the mean of 2,000 sizes has standard error 0.069.
        Assert.InRange(sizes.Average(), 10 - 5 * 0.069, 10 + 5 * 0.069);
        Assert.True(sizes.Distinct().Count() > 5, "Poisson samples should vary in size");
        // Each client: Binomial(2000, 0.05), mean 100, standard deviation 9.7; 5.5 of them for the largest of 200 deviations.
        Assert.All(clients, c => Assert.InRange(counts.GetValueOrDefault(c), 100 - 5.5 * 9.75, 100 + 5.5 * 9.75));
    }

    [Fact]
    public void A_poisson_draw_below_the_minimum_is_drawn_again_and_gives_up_in_the_end()
    {
        var clients = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();

        Assert.All(Enumerable.Range(0, 50), i => Assert.True(RoundStarter.PoissonSample(clients, 0.1, 3, new Random(i))!.Length >= 3));
        Assert.Null(RoundStarter.PoissonSample(clients, 1e-9, 1, new Random(1)));
    }
}
