using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Privacy;
using FlMicroservices.Simulation;
using Xunit.Abstractions;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>Differential privacy through the embedded platform: the budget stop, and DP-FedAvg and DP-SGD rounds end to end.</summary>
public sealed class PrivacyBudgetTests(ITestOutputHelper output) : IDisposable
{
    private const double NoiseMultiplier = 1.0;
    private const double Delta = 1e-5;

    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-e2e-dp-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    /// <summary>ε after each of <paramref name="rounds"/> rounds at noise multiplier z and sampling rate q (index 0: after round 1).</summary>
    private static double[] EpsilonAfterRounds(double sampleRate, int rounds)
    {
        var accountant = new RdpAccountant();
        var epsilons = new double[rounds];
        for (var k = 0; k < rounds; k++)
        {
            accountant.Step(NoiseMultiplier, sampleRate);
            epsilons[k] = accountant.GetEpsilon(Delta).Epsilon;
        }
        return epsilons;
    }

    /// <summary>The k with ε(k) ≤ budget &lt; ε(k + 1).</summary>
    private static int RoundsThatFit(double[] epsilons, double budget)
    {
        var k = 0;
        while (k < epsilons.Length && epsilons[k] <= budget) k++;
        return k;
    }

    private SimulationOptions Options(string sampling, double budget) => new()
    {
        Dataset = "synthetic",
        Clients = 10,
        Fraction = 0.5,
        Sampling = sampling,
        Rounds = 10,
        LocalEpochs = 1,
        BatchSize = 10,
        LearningRate = 0.05,
        Seed = 4,
        OutDir = Path.Combine(_out, sampling),
        DpNoiseMultiplier = NoiseMultiplier,
        DpClip = 1.0,
        DpEpsilonBudget = budget,
        DpDelta = Delta,
    };

    [Theory]
    [InlineData("fixed")]
    [InlineData("poisson")]
    public async Task A_task_with_a_small_budget_stops_exactly_before_the_round_that_would_exceed_it(string sampling)
    {
        // Fixed: 5 of the 10 clients each round, q = 0.5; Poisson: each client with probability q = 0.5. Same account.
        var epsilons = EpsilonAfterRounds(0.5, 10);
        var budget = (epsilons[2] + epsilons[3]) / 2; // between ε after 3 rounds and ε after 4
        var k = RoundsThatFit(epsilons, budget);
        output.WriteLine($"ε after rounds 1..10 (z = {NoiseMultiplier}, q = 0.5, δ = {Delta}): {string.Join(", ", epsilons.Select(e => e.ToString("G6")))}");
        output.WriteLine($"budget {budget:G6}: k = {k} rounds fit (ε({k}) = {epsilons[k - 1]:G6} ≤ budget < ε({k + 1}) = {epsilons[k]:G6})");
        Assert.Equal(3, k);
        var events = new EventLog();

        var result = await SimulationRunner.RunAsync(Options(sampling, budget), events: events);

        var log = events.All.Select(e => e.Message).ToList();
        var started = log.OfType<RoundStarted>().Where(r => r.TaskId == result.TaskId).ToList();
        var completed = log.OfType<RoundCompleted>().Where(r => r.TaskId == result.TaskId).ToList();
        var exhausted = Assert.Single(log.OfType<PrivacyBudgetExhausted>(), e => e.TaskId == result.TaskId);
        var taskCompleted = Assert.Single(log.OfType<TaskCompleted>(), e => e.TaskId == result.TaskId);
        output.WriteLine($"rounds run: {result.Rounds}; participants {string.Join(", ", result.ParticipantsPerRound)}; " +
            $"PrivacyBudgetExhausted(rounds {exhausted.RoundsCompleted}, ε {exhausted.EpsilonSpent:G6}, budget {exhausted.EpsilonBudget:G6}, δ {exhausted.Delta}); " +
            $"TaskCompleted: {taskCompleted.Reason}");

        Assert.Equal(k, result.Rounds);
        Assert.Equal(Enumerable.Range(1, k), started.Select(r => r.Round).Order());
        Assert.Equal(Enumerable.Range(1, k), completed.Select(r => r.Round).Order());
        Assert.All(completed, r => Assert.True(r.Succeeded));
        Assert.Equal(k, exhausted.RoundsCompleted);
        Assert.Equal(epsilons[k - 1], exhausted.EpsilonSpent, 1e-9);
        Assert.True(exhausted.EpsilonSpent <= budget);
        Assert.Equal(budget, exhausted.EpsilonBudget);
        Assert.Equal(Delta, exhausted.Delta);
        Assert.Contains("privacy budget", taskCompleted.Reason);
        Assert.Equal(k, taskCompleted.RoundsCompleted);
        Assert.True(log.IndexOf(exhausted) < log.IndexOf(taskCompleted), "PrivacyBudgetExhausted should come before TaskCompleted");

        // ε actually spent, as published after each round, and in the summary.
        var updates = log.OfType<PrivacyBudgetUpdated>().Where(p => p.TaskId == result.TaskId).OrderBy(p => p.Round).ToList();
        Assert.Equal(Enumerable.Range(1, k), updates.Select(p => p.Round));
        for (var r = 0; r < k; r++) Assert.Equal(epsilons[r], updates[r].EpsilonSpent, 1e-9);
        Assert.Equal(epsilons[k - 1], result.EpsilonSpent!.Value, 1e-9);
        Assert.True(result.PrivacyBudgetExhausted);
        Assert.Equal("central", result.DpMechanism);
        Assert.Equal(epsilons.Take(k).ToArray(), result.PerRound.Select(r => r.Epsilon!.Value).ToArray());
        if (sampling == "fixed") Assert.All(result.ParticipantsPerRound, p => Assert.Equal(5, p));

        // Every round ran DP-FedAvg: the round plan carried the central-DP block derived from the task's privacy settings, once,
        // and the strategy parameters only the task's own (none).
        Assert.All(started, r =>
        {
            var dp = r.Settings!.CentralDp!;
            Assert.Equal((1.0, 1.0, (double?)5), (dp.NoiseMultiplier, dp.ClipNorm, dp.ExpectedClients)); // m = q × N = 0.5 × 10 for both samplings
            Assert.True(r.Settings.WholeUpdateNorms);
            Assert.Empty(r.StrategyParameters);
        });

        // Exact per-client norms and losses are data-dependent values outside the mechanism: withheld from the events.
        var aggregated = log.OfType<RoundAggregated>().Where(r => r.TaskId == result.TaskId).ToList();
        Assert.NotEmpty(aggregated);
        Assert.All(aggregated.SelectMany(r => r.Contributors), c =>
        {
            Assert.Equal(0, c.UpdateNorm);
            Assert.Equal(0, c.TrainLoss);
            Assert.True(c.ExampleCount > 0);
        });
    }

    [Fact]
    public async Task A_budget_too_small_for_one_round_runs_no_round_at_all()
    {
        var events = new EventLog();
        var budget = EpsilonAfterRounds(0.5, 1)[0] * 0.9;

        var result = await SimulationRunner.RunAsync(Options("fixed", budget), events: events);

        Assert.Equal(0, result.Rounds);
        Assert.Empty(events.All.Select(e => e.Message).OfType<RoundStarted>());
        var exhausted = Assert.Single(events.All.Select(e => e.Message).OfType<PrivacyBudgetExhausted>());
        Assert.Equal(0, exhausted.RoundsCompleted);
        Assert.Equal(0, exhausted.EpsilonSpent);
        Assert.Equal(0, result.EpsilonSpent);
    }

    [Fact]
    public async Task Adaptive_dp_fedavg_learns_and_repeats_exactly_under_the_same_seed()
    {
        SimulationOptions Options(string dir) => new()
        {
            Dataset = "synthetic-iid",
            Clients = 20,
            Fraction = 0.5,
            Rounds = 4,
            LocalEpochs = 2,
            BatchSize = 10,
            LearningRate = 0.05,
            Seed = 6,
            OutDir = Path.Combine(_out, dir),
            DpNoiseMultiplier = 0.5,
            DpClip = 0.5,
            DpAdaptive = true,
            DpEpsilonBudget = 50,
        };

        var first = await SimulationRunner.RunAsync(Options("a"));
        var second = await SimulationRunner.RunAsync(Options("b"));
        output.WriteLine($"accuracy per round {string.Join(", ", first.AccuracyPerRound.Select(a => a?.ToString("P1")))}; " +
            $"ε per round {string.Join(", ", first.PerRound.Select(r => r.Epsilon?.ToString("G4")))}");

        Assert.Equal(4, first.Rounds);
        Assert.Equal(first.AccuracyPerRound, second.AccuracyPerRound);
        Assert.Equal(first.LossPerRound, second.LossPerRound);
        Assert.True(first.FinalAccuracy > 0.2, $"final accuracy {first.FinalAccuracy:P1} should beat chance (10%) on 10 classes");
        var epsilons = first.PerRound.Select(r => r.Epsilon!.Value).ToArray();
        Assert.Equal(EpsilonAfterRoundsAt(0.5, 0.5, 4), epsilons, new ToleranceComparer(1e-9));
        Assert.False(first.PrivacyBudgetExhausted);
        Assert.Contains("all rounds completed", first.CompletionReason);
    }

    [Fact]
    public async Task Local_dp_sgd_accounts_each_clients_steps_and_reports_the_largest_epsilon()
    {
        var events = new EventLog();
        var options = new SimulationOptions
        {
            Dataset = "synthetic",
            Clients = 8,
            Fraction = 0.5,
            Rounds = 2,
            LocalEpochs = 1,
            BatchSize = 10,
            LearningRate = 0.05,
            Seed = 3,
            OutDir = _out,
            DpNoiseMultiplier = 1.2,
            DpClip = 1.0,
            DpLocal = true,
            DpEpsilonBudget = 1_000,
        };

        var result = await SimulationRunner.RunAsync(options, events: events);

        Assert.Equal(2, result.Rounds);
        Assert.Equal("local", result.DpMechanism);
        var log = events.All.Select(e => e.Message).ToList();
        Assert.All(log.OfType<RoundStarted>(), r => Assert.Equal(PrivacyMechanism.Local, r.Privacy.Mechanism));
        Assert.All(log.OfType<RoundStarted>(), r => Assert.Null(r.Settings!.CentralDp)); // no server noise
        Assert.All(log.OfType<RoundStarted>(), r => Assert.DoesNotContain(r.StrategyParameters.Keys, k => k.StartsWith("dp-", StringComparison.Ordinal)));
        // Each contributor of n examples ran ⌈n/B⌉ DP-SGD steps at q = B/n; the task's ε is the largest client's.
        var accountants = new Dictionary<string, RdpAccountant>();
        var expected = new List<double>();
        foreach (var completed in log.OfType<RoundCompleted>().OrderBy(c => c.Round))
        {
            foreach (var contributor in completed.Contributors)
            {
                if (!accountants.TryGetValue(contributor.ClientId, out var accountant)) accountants[contributor.ClientId] = accountant = new RdpAccountant();
                accountant.Step(1.2, Math.Min(1.0, 10.0 / contributor.ExampleCount), (contributor.ExampleCount + 9) / 10);
            }
            expected.Add(accountants.Values.Max(a => a.GetEpsilon(1e-5).Epsilon));
        }
        var manifests = log.OfType<UpdateSubmitted>().ToList();
        Assert.All(manifests, m => Assert.Equal((m.ExampleCount + 9) / 10, m.Metrics.Steps));
        Assert.Equal(expected, result.PerRound.Select(r => r.Epsilon!.Value), new ToleranceComparer(1e-9));
        output.WriteLine($"largest client ε after each round: {string.Join(", ", expected.Select(e => e.ToString("G5")))}");
    }

    private static double[] EpsilonAfterRoundsAt(double noiseMultiplier, double sampleRate, int rounds)
    {
        var accountant = new RdpAccountant();
        return Enumerable.Range(0, rounds).Select(_ =>
        {
            accountant.Step(noiseMultiplier, sampleRate);
            return accountant.GetEpsilon(Delta).Epsilon;
        }).ToArray();
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));
        public int GetHashCode(double obj) => 0;
    }
}
