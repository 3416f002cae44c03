using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Selector;

/// <summary>Starts the round a pause held back once its task is resumed (by an operator, or found resumed by a restarted selector).</summary>
/// <remarks>The round runs in the background: waiting for clients may take Selector:ClientWait. The held round stays stored until it is claimed.</remarks>
public sealed class HeldRoundRelease(IServiceScopeFactory scopes, IBus bus, ILogger<HeldRoundRelease> logger) : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Starts the held round in the background; false when the task is paused, ended, or holds no round.</summary>
    public bool Release(TaskSchedule.Entry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.IsPaused || entry.IsCompleted || entry.HeldRound is not { } round) return false;
        var model = entry.Model ?? new TaskModelState(0, null);
        var stopping = _stopping.Token;
        _ = Task.Run(async () =>
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<RoundStarter>().StartNextAsync(bus, entry.TaskId, round, model, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogError(e, "Task {TaskId}: the held round {Round} could not start (it starts when the selector restarts)", entry.TaskId, round);
            }
        });
        return true;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
