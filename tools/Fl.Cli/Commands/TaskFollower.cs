using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl task create --follow`: one JSON line per round outcome and one for the task's end; every wait is bounded.</summary>
public sealed class TaskFollower(ChannelReader<object> events, TimeSpan roundTimeout, int rounds)
{
    /// <summary>How long the registry may take to accept or reject the task.</summary>
    public static readonly TimeSpan AcceptWait = TimeSpan.FromSeconds(60);

    /// <summary>The selector's default grace after a round's deadline (Selector:RoundGrace) plus time to evaluate and store the model.</summary>
    public static readonly TimeSpan RoundGrace = TimeSpan.FromMinutes(3);

    private readonly Stopwatch _sinceSubmission = Stopwatch.StartNew();
    private double _lastRoundAt;

    /// <summary>Longest silence between two round outcomes: a round's timeout plus the grace, capped so that it always fits a timer.</summary>
    public TimeSpan RoundWait { get; } = TimeSpan.FromSeconds(Math.Min(roundTimeout.TotalSeconds + RoundGrace.TotalSeconds, TimeSpan.FromDays(30).TotalSeconds));

    /// <summary>The most the whole task may take: every round at its longest, plus acceptance (what --follow never waits past).</summary>
    public TimeSpan TaskWait => TimeSpan.FromSeconds(Math.Min(AcceptWait.TotalSeconds + rounds * RoundWait.TotalSeconds, TimeSpan.FromDays(30).TotalSeconds));

    /// <summary>Prints until the task ends; returns the exit code (0 only when the task completed with every round succeeded).</summary>
    public async Task<int> FollowAsync(string taskId, CancellationToken cancellationToken)
    {
        using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        total.CancelAfter(TaskWait);
        var accepted = false;
        while (true)
        {
            var wait = accepted ? RoundWait : AcceptWait;
            object message;
            using (var silence = CancellationTokenSource.CreateLinkedTokenSource(total.Token))
            {
                silence.CancelAfter(wait);
                try { message = await events.ReadAsync(silence.Token); }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    var what = accepted ? $"no round outcome for {wait.TotalSeconds:F0} s (a round's timeout plus {RoundGrace.TotalSeconds:F0} s)"
                        : $"the registry neither accepted nor rejected the task within {wait.TotalSeconds:F0} s (is services/Registry running on this broker?)";
                    if (total.IsCancellationRequested) what = $"the task did not end within {TaskWait.TotalSeconds:F0} s ({rounds} rounds of at most {RoundWait.TotalSeconds:F0} s)";
                    Console.Error.WriteLine($"fl task: gave up following task {taskId}: {what}");
                    return CliRunner.Failed;
                }
            }
            switch (message)
            {
                case TaskCreated:
                    accepted = true;
                    Print(new { task_id = taskId, accepted = true, elapsed_s = Seconds() });
                    break;
                case TaskRejected rejected:
                    Console.Error.WriteLine($"fl task: rejected: {rejected.Reason}");
                    return CliRunner.Failed;
                case RoundCompleted r:
                    accepted = true;
                    var now = Seconds();
                    Print(new
                    {
                        round = r.Round, succeeded = r.Succeeded, failure_reason = r.Succeeded ? null : r.FailureReason, rolled_back = r.RolledBack,
                        accuracy = r.Accuracy, loss = r.Loss, evaluated = r.Evaluated, not_evaluated = r.Evaluated ? null : r.NotEvaluatedReason, participants = r.Participants.Length, contributors = r.Contributors.Length,
                        version = r.ModelVersion, elapsed_s = now, round_s = Math.Round(now - _lastRoundAt, 2),
                    });
                    _lastRoundAt = now;
                    break;
                case TaskCompleted c:
                    Print(new
                    {
                        task_completed = c.TaskId, succeeded = c.Succeeded, reason = c.Reason, rounds = c.RoundsCompleted, failed_rounds = c.FailedRounds,
                        final_accuracy = c.FinalAccuracy, elapsed_s = Seconds(),
                    });
                    if (c.Succeeded) return CliRunner.Ok;
                    Console.Error.WriteLine($"fl task: task {c.TaskId} failed: {c.Reason}");
                    return CliRunner.Failed;
            }
        }
    }

    private double Seconds() => Math.Round(_sinceSubmission.Elapsed.TotalSeconds, 2);

    private static void Print(object line) => Console.WriteLine(JsonSerializer.Serialize(line));
}
