using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.Stores.Redis;
using FlMicroservices.Testing;
using Polly.CircuitBreaker;
using Polly.Timeout;
using StackExchange.Redis;

namespace FlMicroservices.Infrastructure.Tests.Redis;

/// <summary>A Redis server of its own, stopped mid-test: calls fail after the retry pipeline instead of hanging.</summary>
public sealed class RedisOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Calls_fail_after_the_retries_when_the_server_stops()
    {
        await using var server = await ServerFixtures.RedisAsync(stoppable: true);
        output.WriteLine($"Redis: {server.Description}");
        var configuration = ConfigurationOptions.Parse(server.ConnectionString);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = 1000;
        configuration.AsyncTimeout = 1000;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        var resilience = new ResilienceOptions { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(10), AttemptTimeout = TimeSpan.FromMilliseconds(500) };
        var store = new RedisClientHealthStore(connection, new RedisOptions { KeyPrefix = $"outage:{Guid.NewGuid():N}:" }, resilience);
        await store.UpsertAsync(new("c1", Health.ClientStatus.Healthy, DateTimeOffset.UtcNow, 1, 0.5, 1), CancellationToken.None);
        Assert.Equal(1, await store.CountAsync(CancellationToken.None));

        await server.StopAsync();

        foreach (var call in new Func<Task>[]
        {
            () => store.GetAsync("c1", CancellationToken.None),
            () => store.UpsertAsync(new("c2", Health.ClientStatus.Healthy, DateTimeOffset.UtcNow, 1, 0.5, 1), CancellationToken.None),
            () => store.GetHealthyAsync(TimeSpan.FromMinutes(1), CancellationToken.None),
        })
        {
            var task = call();
            // A guard against hanging, not a timing assertion: 2 retries of 0.5 s attempts end far sooner.
            var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(60)));
            Assert.Same(task, finished);
            var error = await Assert.ThrowsAnyAsync<Exception>(() => task);
            output.WriteLine($"{error.GetType().Name}: {error.Message}");
            Assert.True(error is RedisConnectionException or RedisTimeoutException or TimeoutRejectedException or BrokenCircuitException,
                $"unexpected exception {error}");
        }
        using var probeTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        Assert.False(await store.PingAsync(probeTimeout.Token));
    }
}
