using FlMicroservices.Contracts.V1;
using FlMicroservices.PrivacyAccounting;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>
/// The privacy ledger kept in a journal: a privacy-accounting service restarted in the middle of a task continues every
/// account exactly where it stood (ε, rounds allowed but not yet completed, per-client accounts, the exhaustion notice),
/// so a restart can never hand out budget twice; a journal it cannot trust stops it.
/// </summary>
public sealed class PrivacyJournalTests : IDisposable
{
    private static readonly PrivacyConfig Central = new(true, 1.0, 1.0, 6.94606, 1e-5);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fl-ledger-" + Guid.NewGuid().ToString("N"));

    private static RoundCompleted Completed(string task, int round, params (string Id, int Examples)[] contributors) => new(
        task, round, round, true, false, 0.5, 1.0, contributors.Select(c => c.Id).ToArray(),
        contributors.Select(c => new Contribution(c.Id, c.Examples, 1.0, 0.5)).ToArray(), [], [], null, DateTimeOffset.UnixEpoch);

    private static TaskSpec Spec(PrivacyConfig privacy) => new()
    {
        ModelName = "logreg",
        SampleShape = [60],
        ClassCount = 10,
        Rounds = 20,
        Training = new TrainingConfig(2, 10, 0.1),
        Privacy = privacy,
    };

    [Fact]
    public void A_ledger_restarted_mid_task_allows_exactly_the_rounds_an_uninterrupted_one_allows()
    {
        var uninterrupted = new PrivacyLedger();
        uninterrupted.Add("t", Spec(Central));
        var expected = RunUntilRefused(uninterrupted.Find("t")!, fromRound: 1, stopAfter: null);

        var first = new PrivacyLedger(new FilePrivacyJournal(_directory));
        first.Add("t", Spec(Central));
        var before = RunUntilRefused(first.Find("t")!, fromRound: 1, stopAfter: 2);
        var allowedNotCompleted = first.Find("t")!.Decide(3, 0.5); // allowed, then the service dies before RoundCompleted
        Assert.True(allowedNotCompleted.Allowed);

        var restarted = new PrivacyLedger(new FilePrivacyJournal(_directory));
        var task = restarted.Find("t")!;
        Assert.Equal(first.Find("t")!.EpsilonSpent, task.EpsilonSpent); // exactly: the same steps replayed
        Assert.Equal(2, task.RoundsCompleted);
        // Round 3 was allowed before the restart: the check for round 4 still counts it, and refuses it as the uninterrupted one did.
        var fourth = task.Decide(4, 0.5);
        Assert.False(fourth.Allowed);
        Assert.Equal(expected.Decisions[4].EpsilonIfRun, fourth.EpsilonIfRun);
        task.RecordCompleted(Completed("t", 3));
        var after = RunUntilRefused(task, fromRound: 4, stopAfter: null);

        Assert.Equal(expected.Allowed, before.Allowed + 1 + after.Allowed);
        Assert.Equal(3, expected.Allowed); // ε after rounds 1-3 = 6.48238 fits 6.94606; round 4 (7.40973) does not
        Assert.Equal(uninterrupted.Find("t")!.EpsilonSpent, task.EpsilonSpent);
    }

    [Fact]
    public void Local_dp_client_accounts_and_the_exhaustion_notice_survive_a_restart()
    {
        var local = new PrivacyConfig(true, 1.2, 1.0, 50, 1e-5) { Mechanism = PrivacyMechanism.Local };
        var first = new PrivacyLedger(new FilePrivacyJournal(_directory));
        first.Add("l", Spec(local));
        first.Find("l")!.RecordCompleted(Completed("l", 1, ("a", 120), ("b", 40)));
        first.Find("l")!.RecordCompleted(Completed("l", 2, ("b", 40), ("c", 300)));
        first.Find("l")!.RecordCompleted(Completed("l", 2, ("b", 40), ("c", 300))); // redelivered: counted once
        Assert.True(first.Find("l")!.TryAnnounceExhaustion());

        var restarted = new PrivacyLedger(new FilePrivacyJournal(_directory)).Find("l")!;
        Assert.Equal(first.Find("l")!.ClientEpsilons(), restarted.ClientEpsilons());
        Assert.Equal(3, restarted.ClientEpsilons().Count);
        Assert.False(restarted.TryAnnounceExhaustion()); // announced once, before the restart
        Assert.Equal(PrivacyMechanism.Local, restarted.Config.Mechanism);
    }

    [Fact]
    public void A_torn_last_line_is_ignored_with_a_warning_and_a_corrupt_line_stops_the_rebuild_naming_it()
    {
        var ledger = new PrivacyLedger(new FilePrivacyJournal(_directory));
        ledger.Add("t", Spec(Central));
        Assert.True(ledger.Find("t")!.Decide(1, 0.5).Allowed);
        var path = Directory.GetFiles(_directory, "*.jsonl").Single();
        File.AppendAllText(path, "{\"kind\":\"comple"); // a crash in the middle of a write

        var journal = new FilePrivacyJournal(_directory);
        var rebuilt = new PrivacyLedger(journal);
        Assert.Contains("not written completely", Assert.Single(journal.Warnings));
        Assert.Equal(0, rebuilt.Find("t")!.RoundsCompleted);

        var lines = File.ReadAllLines(path);
        lines[1] = "{not json";
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        var error = Assert.Throws<InvalidDataException>(() => new PrivacyLedger(new FilePrivacyJournal(_directory)));
        Assert.Contains("line 2", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Task_ids_cannot_leave_the_ledger_folder()
    {
        var ledger = new PrivacyLedger(new FilePrivacyJournal(_directory));
        ledger.Add("../../etc/passwd", Spec(Central));
        Assert.All(Directory.GetFiles(_directory), f => Assert.Equal(_directory, Path.GetDirectoryName(f)));
        Assert.NotNull(new PrivacyLedger(new FilePrivacyJournal(_directory)).Find("../../etc/passwd"));
    }

    private static (int Allowed, Dictionary<int, BudgetDecision> Decisions) RunUntilRefused(TaskPrivacy task, int fromRound, int? stopAfter)
    {
        var decisions = new Dictionary<int, BudgetDecision>();
        var allowed = 0;
        for (var round = fromRound; round < fromRound + 50; round++)
        {
            if (stopAfter is { } stop && allowed == stop) break;
            var decision = task.Decide(round, 0.5);
            decisions[round] = decision;
            if (!decision.Allowed) break;
            allowed++;
            task.RecordCompleted(Completed(task.TaskId, round));
        }
        return (allowed, decisions);
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
