using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Edge.Tests;

/// <summary>With signed commands on (per-process broker accounts), the edge opens and pushes only rounds the selector signed, and SecAgg messages the aggregation signed.</summary>
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

    [Fact]
    public async Task An_unsigned_or_foreign_signed_secure_aggregation_message_is_refused_with_a_recorded_reason_and_never_pushed()
    {
        var accounts = Path.Combine(_folder, "accounts");
        Directory.CreateDirectory(accounts);
        using var aggregation = CommandSigning.For(accounts, BrokerAccounts.Aggregation); // writes the aggregation's key pair
        using var impostor = CommandSigning.For(Path.Combine(_folder, "impostor"), BrokerAccounts.Aggregation);
        _edge = await EdgeServer.StartAsync(_folder, configure: builder =>
            builder.Services.Replace(ServiceDescriptor.Singleton(_ => CommandSigning.For(accounts, BrokerAccounts.Edge))));
        using var client = await _edge.EnrolAsync("n1", "n1-c0");
        using var lease = _edge.Services.GetRequiredService<PushChannels>().Open("n1");
        var bus = _edge.Services.GetRequiredService<IBus>();
        var enrolments = _edge.Services.GetRequiredService<Enrolments>();
        SecAggServerMessage Message(string taskId) => new(taskId, 1, "n1-c0", [1, 2, 3]);

        await bus.Publish(Message("unsigned"));
        await bus.Publish(impostor.Sign(Message("foreign")));
        await bus.Publish(aggregation.Sign(Message("altered")) with { Payload = [1, 2, 4] });
        await bus.Publish(aggregation.Sign(Message("signed")));
        var pushed = await lease.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => enrolments.Refusals.Count == 3, TimeSpan.FromSeconds(30), "three refused messages recorded");

        Assert.Equal(EdgeApi.SecAggServerEvent, pushed.Name);
        Assert.Contains("\"signed\"", pushed.Json, StringComparison.Ordinal);
        Assert.False(lease.Reader.TryRead(out var more), $"a refused message was pushed: {more?.Json}");
        Assert.Contains(enrolments.Refusals, r => r.NodeId == "n1" && r.Request == "SecAggServerMessage unsigned/1 for n1-c0"
            && r.Reason == "SecAggServerMessage carries no signature of fl-aggregation, which issues it");
        Assert.All(["foreign", "altered"], task => Assert.Contains(enrolments.Refusals, r => r.Request == $"SecAggServerMessage {task}/1 for n1-c0"
            && r.Reason.Contains("signature does not verify against the key of fl-aggregation", StringComparison.Ordinal)));
    }
}
