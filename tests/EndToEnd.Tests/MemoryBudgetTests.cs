using FlMicroservices.Contracts.V1;
using FlMicroservices.Node;
using FlMicroservices.Simulation;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>A node's memory budget (Node:MemoryBudgetMb): fewer clients train at once, or none, with the reason.</summary>
public sealed class MemoryBudgetTests : IDisposable
{
    private const long MiB = 1 << 20;
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-e2e-memory-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public void One_clients_training_is_estimated_from_the_model_and_its_data()
    {
        // MNIST 2NN (199,210 values) and 600 examples of 784 values: 24 x 199,210 + 8 x 470,400 bytes + 16 MiB.
        Assert.Equal(24L * 199_210 + 8L * 470_400 + 16 * MiB, MemoryBudget.PerClientBytes(199_210, 600 * 784));
    }

    [Theory]
    [InlineData(1024, 200, 100, 4, 4)] // 824 MiB free: room for 8, capped by the parallelism
    [InlineData(1024, 700, 100, 4, 3)] // 324 MiB free: 3 at once
    [InlineData(1024, 900, 100, 4, 1)] // 124 MiB free: one at a time
    public void Clients_train_at_once_as_many_as_fit_in_what_the_budget_leaves(long budgetMb, long residentMb, long perClientMb, int parallelism, int slots)
    {
        var (planned, decline) = MemoryBudget.Plan(budgetMb * MiB, residentMb * MiB, perClientMb * MiB, parallelism);

        Assert.Equal(slots, planned);
        Assert.Null(decline);
    }

    [Fact]
    public void When_not_even_one_fits_the_clients_decline_with_the_numbers()
    {
        var (slots, decline) = MemoryBudget.Plan(512 * MiB, 480 * MiB, 40 * MiB, 4);

        Assert.Equal(0, slots);
        Assert.Equal("its node's memory budget of 512 MiB: 480 MiB are in use and one client's training needs about 40 MiB", decline);
    }

    [Fact]
    public void A_negative_budget_is_refused_by_the_node_options()
    {
        var problems = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        var options = new NodeOptions { MemoryBudgetMb = -1 };

        Assert.False(System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), problems, validateAllProperties: true));
        Assert.Contains(problems, p => p.MemberNames.Contains(nameof(NodeOptions.MemoryBudgetMb)));
    }

    [Fact]
    public async Task A_node_over_its_budget_declines_every_round_with_the_reason_and_trains_nothing()
    {
        var events = new EventLog();
        var options = new SimulationOptions
        {
            Dataset = "synthetic",
            Clients = 4,
            Fraction = 1.0,
            Rounds = 1,
            LocalEpochs = 1,
            Seed = 3,
            OutDir = _out,
            Settings = new Dictionary<string, string?> { ["Node:MemoryBudgetMb"] = "64" }, // below any .NET process with torch loaded
        };

        var result = await SimulationRunner.RunAsync(options, events: events);

        var declines = events.All.Select(e => e.Message).OfType<UpdateDeclined>().ToList();
        Assert.Equal(4, declines.Select(d => d.ClientId).Distinct().Count());
        Assert.All(declines, d => Assert.StartsWith("its node's memory budget of 64 MiB: ", d.Reason, StringComparison.Ordinal));
        Assert.Empty(events.All.Select(e => e.Message).OfType<UpdateSubmitted>());
        Assert.False(result.Succeeded);
    }
}
