using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Models;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.ModelRegistry;
using FlMicroservices.Registry;
using FlMicroservices.Reward;
using FlMicroservices.Selector;

namespace FlMicroservices.EndToEnd.Tests.State;

/// <summary>Each service's state written through its class, read back by a new instance over a reopened store (a restart), on any backend.</summary>
public static class ServiceStatesContract
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset At = new(2030, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static readonly TaskSpec Spec = new()
    {
        ModelName = "mlp",
        SampleShape = [28, 28],
        ClassCount = 10,
        Rounds = 50,
        ClientFraction = 0.01,
        Sampling = ClientSampling.Poisson,
        RoundTimeout = TimeSpan.FromSeconds(90),
        Training = new TrainingConfig(2, 16, 0.05, 0.01),
        Privacy = new PrivacyConfig(true, 1.1, 0.8, 4, 1e-5),
        StrategyParameters = new() { ["server-lr"] = "1.0" },
        Seed = 42,
    };

    private static async Task<T> ReopenAsync<T>(Func<IStateStore> open, Func<IStateStore, T> create) where T : RestoredState
    {
        var state = create(open());
        await state.RestoreAsync(None);
        return state;
    }

    public static async Task Reward_ledger(Func<IStateStore> open)
    {
        var store = open();
        var ledger = new TokenLedger(new LedgerStore(store));
        await ledger.PayOnceAsync("t", 1, [("a", 0.3947, 39.47m), ("b", 0.6053, 60.53m)], None);
        await ledger.MarkAnnouncedAsync("t", 1, None);
        await ledger.PayOnceAsync("t", 2, [("a", 1, 2.21m)], None);
        (store as IDisposable)?.Dispose();

        var restored = await ReopenAsync(open, s => new TokenLedger(new LedgerStore(s)));
        Assert.Equal(41.68m, restored.BalanceOf("a"));
        Assert.Equal(60.53m, restored.BalanceOf("b"));
        Assert.True(restored.IsAnnounced("t", 1));
        Assert.False(restored.IsAnnounced("t", 2));
        Assert.Equal([2.21m], (await restored.PayOnceAsync("t", 2, [("a", 1, 50m)], None)).Select(r => r.Tokens)); // paid once
        Assert.Equal(41.68m, restored.BalanceOf("a"));
    }

    public static async Task Aggregation_nonces(Func<IStateStore> open)
    {
        var store = open();
        var ledger = new NonceLedger(store);
        Assert.True(await ledger.TryClaimAsync("c0", "n1", None));
        await ledger.RecordAsync("c0", "t", 1, "n1", None);
        Assert.True(await ledger.TryClaimAsync("c0", "n2", None)); // verified, but its manifest's effect was never stored
        (store as IDisposable)?.Dispose();

        var restored = await ReopenAsync(open, s => new NonceLedger(s));
        Assert.False(await restored.TryClaimAsync("c0", "n1", None));
        Assert.True(await restored.TryClaimAsync("c0", "n2", None));
        Assert.True(await restored.TryClaimAsync("c1", "n1", None));
        var shard = await ReopenAsync(open, s => new NonceLedger(s, NonceLedger.KindFor(new ShardSettings(1, 2))));
        Assert.True(await shard.TryClaimAsync("c0", "n1", None)); // each shard verifies every manifest itself
    }

    public static async Task Selector_schedule(Func<IStateStore> open)
    {
        var store = open();
        var schedule = new TaskSchedule(new ScheduleStore(store));
        await schedule.AddAsync("t", Spec, At, None);
        var entry = schedule.Find("t")!;
        Assert.True(entry.TryClaimRound(1));
        Assert.Equal(10.5, entry.ExpectedClients(10.5));
        entry.RecordOutcome(1, false, "quorum not reached");
        entry.RecordRunning(new RunningRound(1, 0, At.AddMinutes(1)));
        await entry.SaveAsync(None);
        (store as IDisposable)?.Dispose();

        var restored = (await ReopenAsync(open, s => new TaskSchedule(new ScheduleStore(s)))).Find("t")!;
        Assert.Equal(Spec.Privacy, restored.Spec.Privacy);
        Assert.Equal(Spec.Training, restored.Spec.Training);
        Assert.Equal(Spec.RoundTimeout, restored.Spec.RoundTimeout);
        Assert.Equal(ClientSampling.Poisson, restored.Spec.Sampling);
        Assert.Equal("1.0", restored.Spec.StrategyParameters["server-lr"]);
        Assert.Equal([28, 28], restored.Spec.SampleShape);
        Assert.Equal((1, false, (DateTimeOffset?)At), (restored.LastStartedRound, restored.IsCompleted, restored.CreatedAt));
        Assert.Equal(10.5, restored.ExpectedClients(99));
        Assert.Equal([(1, "quorum not reached")], restored.FailedRounds());
        Assert.Equal(new RunningRound(1, 0, At.AddMinutes(1)), restored.Running);
        Assert.False(restored.TryClaimRound(1));
    }

    public static async Task Registry_catalog(Func<IStateStore> open)
    {
        var store = open();
        var catalog = new TaskCatalog(new RegistryStore(store));
        Assert.True(await catalog.TryAddAsync("t", Spec, At, None));
        await catalog.RecordClientAsync("c1", new ClientCapabilities(150, 2, 1L << 30, ["mlp"], [new ClientDataset("mnist", [28, 28], 10, 150)], 0.25), At, None);
        (store as IDisposable)?.Dispose();

        var restored = await ReopenAsync(open, s => new TaskCatalog(new RegistryStore(s)));
        Assert.Equal(["t"], restored.TaskIds);
        Assert.Equal(Spec.Seed, restored.Find("t")!.Seed);
        Assert.False(await restored.TryAddAsync("t", Spec, At, None));
        var client = restored.FindClient("c1")!;
        Assert.Equal((150, "mnist", At), (client.Capabilities.ExampleCount, client.Capabilities.Datasets![0].Name, client.AdmittedAt));
    }

    public static async Task Model_registry_tasks(Func<IStateStore> open)
    {
        var store = open();
        var tasks = new TaskModels(new TaskModelsStore(store));
        var entry = tasks.GetOrAdd("t", Spec);
        var history = new VersionHistory(3, 0.91, 3, 0.91, 0, 0);
        var candidate = new StoredCandidate(new ModelVersionInfo("t", 4, 2, 3, 7850, "abc", 0.5, 1.3, true, At),
            new RollbackDecision(CandidateOutcome.RolledBack, 3, history with { Degradations = 1, RollbacksInARow = 1 }, "version 4 rolled back"));
        (entry.History, entry.LatestVersion) = (candidate.Decision.Next, 4);
        entry.RoundVersions[2] = candidate;
        entry.RoundsDone.Add(1);
        entry.Published.Add((2, nameof(ModelVersionPublished)));
        await tasks.SaveAsync(entry, None);
        (store as IDisposable)?.Dispose();

        using var reopened = await ReopenAsync(open, s => new TaskModels(new TaskModelsStore(s)));
        var restored = reopened.Find("t")!;
        Assert.Equal(candidate.Decision.Next, restored.History);
        Assert.Equal((3, 4), (restored.CurrentVersion, restored.LatestVersion));
        Assert.Equal(candidate.Info, restored.RoundVersions[2].Info);
        Assert.Equal(candidate.Decision, restored.RoundVersions[2].Decision);
        Assert.True(restored.RoundVersions[2].Decision.RolledBack);
        Assert.Equal([1], restored.RoundsDone);
        Assert.Equal([(2, nameof(ModelVersionPublished))], restored.Published);
        Assert.Equal(Spec.ModelName, restored.Spec.ModelName);
    }
}
