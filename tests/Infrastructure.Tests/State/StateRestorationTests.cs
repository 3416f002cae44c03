using FlMicroservices.Infrastructure.State;
using FlMicroservices.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlMicroservices.Infrastructure.Tests.State;

/// <summary>Readiness follows the restore: not ready while a state is being read back or failed to be, ready once all of it is.</summary>
public sealed class StateRestorationTests
{
    private sealed class SlowState(string name) : RestoredState
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Loads;
        public bool FailNext;

        public override string Name => name;

        public int Read()
        {
            EnsureRestored();
            return Loads;
        }

        protected override async Task LoadAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Loads);
            await Release.Task;
            if (FailNext)
            {
                FailNext = false;
                throw new IOException("database is locked");
            }
        }
    }

    private static async Task<HealthCheckResult> CheckAsync(params RestoredState[] states) =>
        await new StateHealthCheck(states).CheckHealthAsync(new HealthCheckContext());

    [Fact]
    public async Task Readiness_is_unhealthy_while_restoring_and_healthy_once_every_state_is_back()
    {
        var ledger = new SlowState("reward ledger");
        var schedule = new SlowState("selector schedule");
        schedule.Release.SetResult();
        using var restoration = new StateRestoration([ledger, schedule], NullLogger<StateRestoration>.Instance);

        await restoration.StartAsync(CancellationToken.None);
        var restoring = await CheckAsync(ledger, schedule);
        Assert.Equal(HealthStatus.Unhealthy, restoring.Status);
        Assert.Equal("restoring: reward ledger, selector schedule", restoring.Description);
        var reader = Task.Run(ledger.Read); // a consumer that comes early waits for the restore
        await Task.Delay(200);
        Assert.False(reader.IsCompleted);

        ledger.Release.SetResult();
        await Eventually.TrueAsync(() => ledger.IsRestored && schedule.IsRestored, TimeSpan.FromSeconds(30), "both states restored");
        var ready = await CheckAsync(ledger, schedule);
        Assert.Equal(HealthStatus.Healthy, ready.Status);
        Assert.Equal("restored: reward ledger, selector schedule", ready.Description);
        Assert.Equal(1, await reader);
        Assert.Equal(1, ledger.Loads); // one restore, shared
        await restoration.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failed_restore_is_reported_and_tried_again()
    {
        var state = new SlowState("registry catalog") { FailNext = true };
        state.Release.SetResult();

        await Assert.ThrowsAsync<IOException>(() => state.RestoreAsync(CancellationToken.None));
        var failed = await CheckAsync(state);
        Assert.Equal(HealthStatus.Unhealthy, failed.Status);
        Assert.Equal("restoring: registry catalog (failed: database is locked)", failed.Description);

        Assert.Equal(2, state.Read()); // the next use restores again
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(state)).Status);
    }
}
