using FlMicroservices.Contracts.V1;
using FlMicroservices.Simulation;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>A run with more clients than <see cref="Core.Data.SyntheticFedProx.LazyAboveDevices"/>: data made when a client trains, selection timed.</summary>
public sealed class ManyClientsRunTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-many-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task Five_thousand_clients_register_with_the_tasks_key_alone_and_rounds_of_fifty_aggregate_every_update()
    {
        var events = new EventLog();
        var options = new SimulationOptions
        {
            Dataset = "synthetic", Clients = 5_000, Fraction = 0.01, Rounds = 2, LocalEpochs = 1, Seed = 4, OutDir = _out,
        };
        var result = await SimulationRunner.RunAsync(options, events: events);

        Assert.Contains("each device's made when it trains", result.Dataset, StringComparison.Ordinal);
        Assert.Equal(5_000, result.Clients);
        Assert.All(result.PerRound, m => Assert.Equal((50, 50, 0), (m.Participants, m.Contributors, m.Rejected)));
        Assert.All(result.PerRound, m => Assert.InRange(m.SelectionSeconds!.Value, 1e-7, 60));
        Assert.InRange(result.PeakMemoryBytes!.Value, 1L << 20, long.MaxValue);
        var registered = events.All.Select(e => e.Message).OfType<ClientRegistered>().ToList();
        Assert.Equal(5_000, registered.Count);
        Assert.All(registered, r => Assert.Equal([SigningAlgorithms.EcdsaP256], r.Keys!.Select(k => k.Algorithm)));
        // The updates were signed with those keys and verified: none refused.
        Assert.Equal(100, events.All.Select(e => e.Message).OfType<UpdateSubmitted>().Count(u => u.TaskId == result.TaskId));
    }
}
