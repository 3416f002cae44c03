using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure;
using FlMicroservices.Selector;
using FlMicroservices.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Services.Tests.Selector;

/// <summary>The selector ends a task that the model registry's rollback policy stopped, naming the best version (docs/model-lifecycle.md).</summary>
public sealed class RollbackStopTests
{
    [Fact]
    public async Task A_round_with_a_stop_reason_ends_the_task_as_failed_with_the_reason_and_the_best_version()
    {
        // State in memory: a selector.db under the data root would hold this task, completed, for the next run.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:State"] = "InMemory" }).Build();
        await using var host = await HarnessHost.StartAsync(services =>
        {
            services.AddSingleton<IConfiguration>(configuration);
            services.AddFlInfrastructure(configuration);
            services.AddSelectorService(configuration);
        }, bus => bus.AddSelectorConsumers());
        var spec = new TaskSpec { ModelName = "logreg", SampleShape = [1], ClassCount = 2, Rounds = 10, Training = new TrainingConfig(1, 10, 0.1) };
        await host.Bus.Publish(new TaskCreated("task-s", spec, DateTimeOffset.UtcNow));
        await Eventually.TrueAsync(() => host.Services.GetRequiredService<TaskSchedule>().Find("task-s") is not null, TimeSpan.FromSeconds(30), "the task to be scheduled");

        var stop = "version 4 rolled back to version 1: its accuracy 0.5000 is more than 0.2 below the best version 1 (1.0000); 2 rollbacks in a row, so the task stops on version 1";
        await host.Bus.Publish(new RoundCompleted("task-s", 4, 1, true, true, 1.0, 0.1, ["c1"], [], [], [], stop, DateTimeOffset.UtcNow, true, null,
            BestModelVersion: 1, BestAccuracy: 1.0, StopReason: stop));

        var completed = await host.NextPublishedAsync<TaskCompleted>(TimeSpan.FromSeconds(30));
        Assert.Equal(stop, completed.Reason);
        Assert.False(completed.Succeeded);
        Assert.Equal(4, completed.RoundsCompleted);
        Assert.Equal(1, completed.FinalModelVersion);
        Assert.Equal(1, completed.BestModelVersion);
        Assert.Equal(1.0, completed.BestAccuracy);
        Assert.Equal(0, host.PublishedCount<RoundStarted>()); // no further round
    }
}
