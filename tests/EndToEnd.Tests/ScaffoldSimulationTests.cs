using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Simulation;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>SCAFFOLD through the embedded pipeline: selector, nodes with their control variates, aggregation, model registry.</summary>
public sealed class ScaffoldSimulationTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-e2e-scaffold-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private SimulationOptions Options(string name, string strategy, int rounds, Dictionary<string, string>? parameters = null) => new()
    {
        Dataset = "synthetic", // FedProx Synthetic(1,1): every device has its own model and its own amount of data
        Clients = 30,
        Fraction = 0.34,
        Rounds = rounds,
        LocalEpochs = 1,
        BatchSize = 10,
        LearningRate = 0.02,
        Seed = 1,
        Strategy = strategy,
        StrategyParameters = parameters ?? [],
        OutDir = Path.Combine(_out, name),
    };

    [Fact]
    public async Task Scaffold_learns_on_non_iid_synthetic_data_and_its_server_control_variate_moves()
    {
        var options = Options("scaffold", "scaffold", rounds: 6, new() { ["server-lr"] = "1" });
        var events = new EventLog();

        var result = await SimulationRunner.RunAsync(options, events: events);

        Assert.Equal(6, result.Rounds);
        Assert.All(result.PerRound, r => Assert.True(r.Succeeded));
        var store = new FileModelStore(Path.Combine(options.OutDir, "models"));
        var initial = await store.GetVersionAsync(result.TaskId, 0, CancellationToken.None);
        var current = await store.GetCurrentVersionAsync(result.TaskId, CancellationToken.None);
        Assert.NotNull(initial);
        Assert.True(current >= 1, "some round's model should have become current");
        var before = await store.LoadWeightsAsync(result.TaskId, 0, CancellationToken.None);
        var after = await store.LoadWeightsAsync(result.TaskId, current!.Value, CancellationToken.None);

        // Stored as [x ; c]: logistic regression on 60 features and 10 classes has 610 weights.
        Assert.Equal(2 * 610, before.Length);
        Assert.Equal(2 * 610, after.Length);
        Assert.All(ModelLayout.WithControlVariates.ControlVariates(before).ToArray(), c => Assert.Equal(0f, c));
        var control = ModelLayout.WithControlVariates.ControlVariates(after).ToArray();
        Assert.True(control.Max(Math.Abs) > 1e-3, $"the server control variate should have moved (max |c| = {control.Max(Math.Abs)})");
        Assert.True(result.FinalAccuracy > initial.Accuracy + 0.15,
            $"accuracy should improve over the initial model: {initial.Accuracy:P2} -> {result.FinalAccuracy:P2}");

        // The round plan carried N (all 30 clients are healthy) and the layout, typed and once; the parameters are the task's own.
        var started = events.All.Select(e => e.Message).OfType<RoundStarted>().ToList();
        Assert.Equal(6, started.Count);
        Assert.All(started, r => Assert.Equal(new RoundSettings(TotalClients: 30, ControlVariates: true, Signing: SigningAlgorithms.EcdsaP256), r.Settings));
        Assert.All(started, r => Assert.Equal(["server-lr"], r.StrategyParameters.Keys));
    }

    [Fact]
    public async Task With_a_zero_control_variate_the_first_round_is_FedAvg_bit_for_bit()
    {
        // c = 0 and every c_i = 0 in round 1, so the corrected SGD is plain SGD; with the example-weighted mean and
        // server-lr 1 the new weights are FedAvg's. Checks the whole path: the layout, the nodes' deltas, the aggregation.
        var scaffold = await SimulationRunner.RunAsync(Options("s1", "scaffold", rounds: 1, new() { ["scaffold-weighting"] = "examples" }));
        var fedAvg = await SimulationRunner.RunAsync(Options("f1", "fedavg", rounds: 1));

        var scaffoldModel = await new FileModelStore(Path.Combine(_out, "s1", "models")).LoadWeightsAsync(scaffold.TaskId, 1, CancellationToken.None);
        var fedAvgModel = await new FileModelStore(Path.Combine(_out, "f1", "models")).LoadWeightsAsync(fedAvg.TaskId, 1, CancellationToken.None);

        Assert.Equal(2 * fedAvgModel.Length, scaffoldModel.Length);
        Assert.Equal(fedAvgModel, ModelLayout.WithControlVariates.Weights(scaffoldModel).ToArray());
        Assert.Equal(fedAvg.FinalAccuracy, scaffold.FinalAccuracy);
        Assert.Contains(ModelLayout.WithControlVariates.ControlVariates(scaffoldModel).ToArray(), c => c != 0);
    }

    [Fact]
    public void Options_that_do_not_fit_scaffold_are_refused_by_name()
    {
        var problems = (Options("x", "scaffold", 1, new() { ["mu"] = "0.1" }) with { }).Validate();
        Assert.Contains(problems, p => p.Contains("--mu"));
        Assert.Contains((Options("x", "scaffold", 1) with { DpNoiseMultiplier = 1, DpEpsilonBudget = 10 }).Validate(),
            p => p.Contains("central differential privacy"));
        Assert.Empty((Options("x", "scaffold", 1) with { DpNoiseMultiplier = 1, DpEpsilonBudget = 10, DpLocal = true }).Validate());
        Assert.Contains(Options("x", "fedavg", 1, new() { ["scaffold-weighting"] = "uniform" }).Validate(), p => p.Contains("--scaffold-weighting"));
        Assert.Contains(Options("x", "scaffold", 1, new() { ["scaffold-weighting"] = "median" }).Validate(), p => p.Contains("'scaffold-weighting'"));
    }
}
