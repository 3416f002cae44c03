using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.PrivacyAccounting;
using FlMicroservices.Testing;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>With signed commands on, the privacy accountant signs each answer to the selector's budget check.</summary>
public sealed class SignedBudgetAnswerTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Each_decision_is_signed_by_the_accountant_and_verifies_at_the_selector()
    {
        using var registry = CommandSigning.For(_folder.Path, BrokerAccounts.Registry);
        using var selector = CommandSigning.For(_folder.Path, BrokerAccounts.Selector);
        await using var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(CommandSigning.For(_folder.Path, BrokerAccounts.PrivacyAccounting))
            .AddPrivacyAccountingService()
            .AddMassTransitTestHarness(bus => bus.SetLoadedMachineTimeouts().AddPrivacyAccountingConsumers())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();
        var spec = new TaskSpec
        {
            ModelName = "logreg", SampleShape = [60], ClassCount = 10, Rounds = 3, ClientFraction = 0.5, Training = new TrainingConfig(1, 32, 0.1),
            Privacy = new PrivacyConfig(true, 1.1, 1.0, 8, 1e-5),
        };
        await harness.Bus.Publish(registry.Sign(new TaskCreated("task-p", spec, DateTimeOffset.UtcNow)));
        var client = harness.GetRequestClient<CheckPrivacyBudget>();

        var known = (await client.GetResponse<PrivacyBudgetDecision>(new CheckPrivacyBudget("task-p", 1, 0.5))).Message;
        var unknown = (await client.GetResponse<PrivacyBudgetDecision>(new CheckPrivacyBudget("no-such-task", 1, 0.5), timeout: RequestTimeout.After(m: 1))).Message;

        Assert.Equal(("task-p", 1, true), (known.TaskId, known.Round, known.Allowed));
        Assert.Equal(("no-such-task", false, "task 'no-such-task' has no privacy account"), (unknown.TaskId, unknown.Allowed, unknown.Reason));
        Assert.All([known, unknown], decision => Assert.Null(selector.Problem(decision)));
        Assert.Equal("PrivacyBudgetDecision's signature does not verify against the key of fl-privacy-accounting: it was altered or signed by another key",
            selector.Problem(unknown with { Allowed = true }));
    }
}
