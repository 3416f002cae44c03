using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Selector;
using FlMicroservices.Testing;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Services.Tests.Selector;

/// <summary>
/// With signed commands on, the selector starts a round, or ends a task for its budget, only on a privacy decision the
/// accountant signed; the TaskCompleted it publishes carries its own signature.
/// </summary>
public sealed class SignedBudgetDecisionTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Unsigned_altered_or_foreign_signed_decisions_start_and_end_nothing_and_signed_ones_do()
    {
        using var registry = CommandSigning.For(_folder.Path, BrokerAccounts.Registry);
        using var modelRegistry = CommandSigning.For(_folder.Path, BrokerAccounts.ModelRegistry);
        using var accountant = CommandSigning.For(_folder.Path, BrokerAccounts.PrivacyAccounting);
        using var impostor = CommandSigning.For(Path.Combine(_folder.Path, "impostor"), BrokerAccounts.PrivacyAccounting);
        using var selector = CommandSigning.For(_folder.Path, BrokerAccounts.Selector);
        using var dashboard = CommandSigning.For(_folder.Path, BrokerAccounts.Dashboard);
        // The accountant's answer per task: "altered" is its genuine refusal turned into a permission.
        PrivacyBudgetDecision Answer(CheckPrivacyBudget check)
        {
            var allowed = new PrivacyBudgetDecision(check.TaskId, check.Round, true, 0.5, "within budget");
            var refused = new PrivacyBudgetDecision(check.TaskId, check.Round, false, 9, "round 1 would spend ε = 9 of 8");
            return check.TaskId switch
            {
                "unsigned" => allowed,
                "foreign" => impostor.Sign(allowed),
                "altered" => accountant.Sign(refused) with { Allowed = true },
                "exhausted" => accountant.Sign(refused),
                _ => accountant.Sign(allowed),
            };
        }
        var logs = new RecordedLogs();
        await using var host = await SignedSelector.StartAsync(selector, logs,
            services => services.AddSingleton<Func<CheckPrivacyBudget, PrivacyBudgetDecision>>(Answer), bus => bus.AddConsumer<ScriptedAccountant>());
        string[] tasks = ["unsigned", "foreign", "altered", "exhausted", "signed"];
        foreach (var task in tasks) await host.Bus.Publish(registry.Sign(new TaskCreated(task, SignedSelector.Spec, DateTimeOffset.UtcNow)));
        var schedule = host.Services.GetRequiredService<TaskSchedule>();
        await Eventually.TrueAsync(() => tasks.All(t => schedule.Find(t) is not null), Wait, "the selector to know the five tasks");

        foreach (var task in tasks) await host.Bus.Publish(modelRegistry.Sign(new ModelVersionPublished(task, 0, 0, null, 610, "d0", null, null, false)));

        var started = await host.NextPublishedAsync<RoundStarted>(Wait);
        var completed = await host.NextPublishedAsync<TaskCompleted>(Wait);
        await Eventually.TrueAsync(() => host.Harness.Consumed.Select<ModelVersionPublished>().Count() == 5, Wait, "all five consumed");
        Assert.Equal(("signed", 1), (started.TaskId, started.Round));
        Assert.Equal(("exhausted", true), (completed.TaskId, completed.Succeeded)); // the budget is a planned end
        Assert.Equal("privacy budget: round 1 would spend ε = 9 of 8", completed.Reason);
        Assert.Null(dashboard.Problem(completed)); // the selector's own, signed
        Assert.NotNull(dashboard.Problem(completed with { Reason = "all rounds completed" }));
        Assert.Equal((1, 1), (host.PublishedCount<RoundStarted>(), host.PublishedCount<TaskCompleted>()));
        Assert.All(["unsigned", "foreign", "altered"], task =>
        {
            var entry = schedule.Find(task)!;
            Assert.Equal((0, false), (entry.LastStartedRound, entry.IsCompleted));
        });
        const string Foreign = "PrivacyBudgetDecision's signature does not verify against the key of fl-privacy-accounting: it was altered or signed by another key";
        Assert.Contains("Refused PrivacyBudgetDecision unsigned/1: PrivacyBudgetDecision carries no signature of fl-privacy-accounting, which issues it", logs.Entries);
        Assert.Contains("Refused PrivacyBudgetDecision foreign/1: " + Foreign, logs.Entries);
        Assert.Contains("Refused PrivacyBudgetDecision altered/1: " + Foreign, logs.Entries);
        Assert.DoesNotContain(logs.Entries, e => e.StartsWith("Refused PrivacyBudgetDecision signed/", StringComparison.Ordinal)
            || e.StartsWith("Refused PrivacyBudgetDecision exhausted/", StringComparison.Ordinal));
    }
}

/// <summary>A privacy accountant that answers as the test scripts it.</summary>
internal sealed class ScriptedAccountant(Func<CheckPrivacyBudget, PrivacyBudgetDecision> answer) : IConsumer<CheckPrivacyBudget>
{
    public Task Consume(ConsumeContext<CheckPrivacyBudget> context) => context.RespondAsync(answer(context.Message));
}
