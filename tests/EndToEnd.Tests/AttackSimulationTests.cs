using FlMicroservices.Simulation;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>Simulated attacks decorate the node's uplink (simulation/…/Attacks); the production node has no attack branch.</summary>
public sealed class AttackSimulationTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    private SimulationOptions Options(string name, string? attack, double attackers) => new()
    {
        Dataset = "synthetic", Clients = 10, Fraction = 1.0, Rounds = 2, LocalEpochs = 1, Seed = 4, Parallelism = 2,
        Attack = attack, Attackers = attackers, OutDir = Path.Combine(_out, name),
    };

    [Fact]
    public async Task Scaled_attackers_chosen_by_seed_poison_a_FedAvg_run_that_is_otherwise_identical()
    {
        var attacked = Options("attacked", "scale:-10", 0.3);
        var attacks = VirtualClients.Attacks(attacked.LoadData(), attacked);
        Assert.Equal(3, attacks.Count); // round(0.3 x 10)
        Assert.Equal(attacks.Keys.Order(), VirtualClients.Attacks(attacked.LoadData(), attacked).Keys.Order()); // same seed, same attackers

        var clean = await SimulationRunner.RunAsync(Options("clean", null, 0));
        var poisoned = await SimulationRunner.RunAsync(attacked);

        Assert.True(clean.Succeeded && poisoned.Succeeded);
        Assert.True(poisoned.FinalLoss > clean.FinalLoss,
            $"three clients sending -10 x their update should raise FedAvg's loss: clean {clean.FinalLoss}, attacked {poisoned.FinalLoss}");
    }
}
