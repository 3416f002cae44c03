using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Infrastructure.State;

/// <summary>Restores every <see cref="RestoredState"/> of the process in the background when the host starts, retrying until it succeeds.</summary>
public sealed class StateRestoration(IEnumerable<RestoredState> states, ILogger<StateRestoration> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var state in states)
        {
            for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
            {
                try
                {
                    await state.RestoreAsync(stoppingToken).ConfigureAwait(false);
                    logger.LogInformation("Restored the {State}", state.Name);
                    break;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
                catch (Exception e)
                {
                    var wait = TimeSpan.FromSeconds(Math.Min(30, attempt * 2));
                    logger.LogError(e, "Could not restore the {State} (attempt {Attempt}); trying again in {Wait} s", state.Name, attempt, wait.TotalSeconds);
                    await Task.Delay(wait, stoppingToken).ConfigureAwait(false);
                }
            }
        }
    }
}
