using FlMicroservices.Contracts.V1;
using FlMicroservices.Simulation;

namespace FlMicroservices.EndToEnd.Tests;

public sealed class EmbeddedRoundTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [MnistFact]
    public async Task Ten_clients_train_the_2NN_on_MNIST_to_90_percent_in_five_rounds_with_every_event_in_order()
    {
        var options = new SimulationOptions
        {
            Dataset = "mnist",
            DataDir = RepositoryPaths.MnistDir,
            Model = "mlp",
            Clients = 10,
            Fraction = 1.0,
            Rounds = 5,
            LocalEpochs = 1,
            BatchSize = 10,
            LearningRate = 0.1,
            Partition = "iid",
            TrainSamples = 20_000,
            Seed = 3,
            OutDir = _out,
        };
        var events = new EventLog();

        var result = await SimulationRunner.RunAsync(options, events: events);

        Assert.Equal(5, result.Rounds);
        Assert.True(result.FinalAccuracy >= 0.90, $"final accuracy {result.FinalAccuracy:P2} is below 90%");
        Assert.True(result.AccuracyPerRound[^1] > result.AccuracyPerRound[0] - 0.01, "accuracy should not fall over the rounds");
        Assert.All(result.ParticipantsPerRound, p => Assert.Equal(10, p));

        var log = events.All.Select(e => e.Message).ToList();
        var taskId = result.TaskId;
        int IndexOf(Func<object, bool> match) => log.FindIndex(m => match(m));
        Assert.True(IndexOf(m => m is TaskCreated t && t.TaskId == taskId) < IndexOf(m => m is ModelVersionPublished { Round: 0 } v && v.TaskId == taskId));
        var previousCompleted = -1;
        for (var round = 1; round <= 5; round++)
        {
            var r = round;
            var started = IndexOf(m => m is RoundStarted s && s.TaskId == taskId && s.Round == r);
            var updates = log.Select((m, i) => (m, i)).Where(x => x.m is UpdateSubmitted u && u.TaskId == taskId && u.Round == r).Select(x => x.i).ToList();
            var aggregated = IndexOf(m => m is RoundAggregated a && a.TaskId == taskId && a.Round == r);
            var published = IndexOf(m => m is ModelVersionPublished v && v.TaskId == taskId && v.Round == r);
            var completed = IndexOf(m => m is RoundCompleted c && c.TaskId == taskId && c.Round == r);
            var privacy = IndexOf(m => m is PrivacyBudgetUpdated p && p.TaskId == taskId && p.Round == r);
            var rewards = IndexOf(m => m is RewardsIssued w && w.TaskId == taskId && w.Round == r);

            Assert.True(started > previousCompleted, $"round {r} started before round {r - 1} completed");
            Assert.Equal(10, updates.Count);
            Assert.True(updates.All(i => i > started && i < aggregated), $"round {r}: updates must fall between RoundStarted and RoundAggregated");
            Assert.True(aggregated < published && published < completed, $"round {r}: RoundAggregated, ModelVersionPublished, RoundCompleted out of order");
            Assert.True(privacy > completed && rewards > completed, $"round {r}: privacy and rewards must follow RoundCompleted");
            var roundCompleted = (RoundCompleted)log[completed];
            Assert.True(roundCompleted.Succeeded);
            Assert.Equal(r, roundCompleted.ModelVersion);
            Assert.Equal(10, roundCompleted.Contributors.Length);
            Assert.Empty(roundCompleted.Rejected);
            var issued = (RewardsIssued)log[rewards];
            Assert.Equal(100m, issued.TotalTokens, 3);
            previousCompleted = completed;
        }
        Assert.True(IndexOf(m => m is TaskCompleted t && t.TaskId == taskId) > previousCompleted);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_results_on_synthetic_data()
    {
        SimulationOptions Options(string dir) => new()
        {
            Dataset = "synthetic",
            Clients = 12,
            Fraction = 0.5,
            Rounds = 3,
            LocalEpochs = 1,
            BatchSize = 10,
            LearningRate = 0.05,
            Seed = 5,
            OutDir = dir,
        };

        var first = await SimulationRunner.RunAsync(Options(Path.Combine(_out, "a")));
        var second = await SimulationRunner.RunAsync(Options(Path.Combine(_out, "b")));

        Assert.Equal(3, first.Rounds);
        Assert.Equal(first.AccuracyPerRound, second.AccuracyPerRound);
        Assert.Equal(first.LossPerRound, second.LossPerRound);
        Assert.Equal(first.ParticipantsPerRound, second.ParticipantsPerRound);
        Assert.All(first.ParticipantsPerRound, p => Assert.Equal(6, p));
        Assert.True(first.FinalAccuracy > 0.1, $"final accuracy {first.FinalAccuracy} should beat chance on 10 classes");
    }

    [Fact]
    public async Task Simulated_dropouts_are_reported_and_the_round_still_aggregates()
    {
        var result = await SimulationRunner.RunAsync(new SimulationOptions
        {
            Dataset = "synthetic",
            Clients = 10,
            Fraction = 1.0,
            Rounds = 2,
            LocalEpochs = 1,
            DropoutRate = 0.3,
            RoundTimeout = TimeSpan.FromSeconds(5),
            Seed = 2,
            OutDir = _out,
        });

        Assert.Equal(2, result.Rounds);
        Assert.All(result.PerRound, r =>
        {
            Assert.True(r.Succeeded);
            Assert.True(r.Dropouts > 0, "a 30% dropout rate over 10 clients should drop someone");
            Assert.Equal(10, r.Contributors + r.Dropouts);
        });
    }

    [Fact]
    public async Task Invalid_options_are_refused_before_anything_starts_and_each_is_named()
    {
        var options = new SimulationOptions { Clients = 0, Fraction = 1.5, Dataset = "cifar", Partition = "dirichlet:-1", OutDir = _out };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => SimulationRunner.RunAsync(options));

        Assert.Contains("--clients 0", error.Message);
        Assert.Contains("--fraction 1.5", error.Message);
        Assert.Contains("--dataset 'cifar'", error.Message);
        Assert.Contains("--partition", error.Message);
        Assert.False(Directory.Exists(Path.Combine(_out, "models")));
    }
}
