using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Testing;
using FlMicroservices.Testing.Aggregation;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>With signed commands on, every RoundAggregated the aggregation publishes carries its signature, which the model registry accepts.</summary>
public sealed class SignedRoundResultTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-signed-result-" + Guid.NewGuid().ToString("N"));
    private HarnessHost _bus = null!;

    public async Task InitializeAsync() => _bus = await HarnessHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static RoundStarted Round(string task, DateTimeOffset deadline) => new(task, 2, 3, ["a", "b"], deadline,
        new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, 256, "logreg", "fedavg", [], 0.5, 1);

    [Fact]
    public async Task A_round_that_cannot_open_and_a_round_closed_at_its_deadline_are_published_signed()
    {
        var accounts = Path.Combine(_root, "accounts");
        using var selector = CommandSigning.For(accounts, BrokerAccounts.Selector);
        using var modelRegistry = CommandSigning.For(accounts, BrokerAccounts.ModelRegistry);
        var store = new FileModelStore(Path.Combine(_root, "models"));
        float[] weights = [0.5f, -0.25f, 1f, 0f];
        await store.SaveVersionAsync(new ModelVersionInfo("open", 3, 2, 2, weights.Length, WeightsFile.Digest(weights), null, null, false, DateTimeOffset.UtcNow),
            weights, CancellationToken.None);
        await using var aggregation = await AggregationInstance.StartAsync(_bus.Bus, store, signing: CommandSigning.For(accounts, BrokerAccounts.Aggregation));

        await aggregation.Opener.OpenAsync(selector.Sign(Round("missing", DateTimeOffset.UtcNow.AddHours(1))), CancellationToken.None); // no version 3
        var unopened = await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));
        await aggregation.Opener.OpenAsync(selector.Sign(Round("open", DateTimeOffset.UtcNow.AddSeconds(1))), CancellationToken.None); // nobody sends
        var closed = await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));

        Assert.Equal(("missing", false), (unopened.TaskId, unopened.Succeeded));
        Assert.Equal(("open", false), (closed.TaskId, closed.Succeeded));
        Assert.Equal(["a", "b"], closed.Dropouts);
        Assert.All([unopened, closed], result =>
        {
            Assert.False(string.IsNullOrEmpty(result.IssuerSignature));
            Assert.Null(modelRegistry.Problem(result));
        });
        Assert.NotNull(modelRegistry.Problem(closed with { Dropouts = ["a"] }));
    }
}
