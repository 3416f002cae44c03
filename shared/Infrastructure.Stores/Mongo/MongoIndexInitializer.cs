using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MongoDB.Driver;

namespace FlMicroservices.Infrastructure.Stores.Mongo;

/// <summary>Creates the model store's index when the host starts, so that the first save does not pay for it.</summary>
/// <remarks>A failure (server not reachable yet) is logged, not fatal: the store creates the index on first use instead.</remarks>
public sealed class MongoIndexInitializer(MongoModelStore store, ILogger<MongoIndexInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.EnsureIndexesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MongoException or TimeoutException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException)
        {
            logger.LogWarning(e, "Could not create the MongoDB model store index in database {Database} at start; it will be created on first use.", store.DatabaseName);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
