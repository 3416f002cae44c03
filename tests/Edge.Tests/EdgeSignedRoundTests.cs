using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Edge.Tests;

/// <summary>With signed commands on (per-process broker accounts), the edge opens and pushes only rounds the selector signed.</summary>
public sealed class EdgeSignedRoundTests : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fl-edge-signed-" + Guid.NewGuid().ToString("N"));
    private EdgeServer? _edge;

    public async ValueTask DisposeAsync()
    {
        if (_edge is not null) await _edge.DisposeAsync();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static RoundStarted Round(string taskId) => new(taskId, 1, 0, ["n1-c0"], DateTimeOffset.UtcNow.AddMinutes(5), new TrainingConfig(1, 10, 0.1),
        PrivacyConfig.None, 256, "logreg", "fedavg", [], 0.5, 1);

    [Fact]
    public async Task An_unsigned_or_altered_round_is_refused_with_a_recorded_reason_and_a_signed_one_opens()
    {
        var accounts = Path.Combine(_folder, "accounts");
        Directory.CreateDirectory(accounts);
        using var selector = CommandSigning.For(accounts, BrokerAccounts.Selector); // writes the selector's key pair
        _edge = await EdgeServer.StartAsync(_folder, configure: builder =>
            builder.Services.Replace(ServiceDescriptor.Singleton(_ => CommandSigning.For(accounts, BrokerAccounts.Edge))));
        var bus = _edge.Services.GetRequiredService<IBus>();
        var rounds = _edge.Services.GetRequiredService<OpenRounds>();
        var enrolments = _edge.Services.GetRequiredService<Enrolments>();

        await bus.Publish(Round("unsigned"));
        await bus.Publish(selector.Sign(Round("altered")) with { Privacy = PrivacyConfig.None with { SecureAggregation = SecureAggregationMode.SecAgg } });
        await bus.Publish(selector.Sign(Round("signed")));
        await Eventually.TrueAsync(() => rounds.Problem("signed", 1, "n1-c0") is null, TimeSpan.FromSeconds(30), "the signed round to open");
        await Eventually.TrueAsync(() => enrolments.Refusals.Count == 2, TimeSpan.FromSeconds(30), "two refused rounds recorded");

        Assert.NotNull(rounds.Problem("unsigned", 1, "n1-c0"));
        Assert.NotNull(rounds.Problem("altered", 1, "n1-c0"));
        Assert.Contains(enrolments.Refusals, r => r.Request == "RoundStarted unsigned/1" && r.Reason.Contains("carries no signature", StringComparison.Ordinal));
        Assert.Contains(enrolments.Refusals, r => r.Request == "RoundStarted altered/1" && r.Reason.Contains("does not verify", StringComparison.Ordinal));
    }
}
