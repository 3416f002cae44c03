using FlMicroservices.Infrastructure.Stores.Mongo;
using FlMicroservices.Testing;
using MongoDB.Driver;

namespace FlMicroservices.Infrastructure.Tests.State;

/// <summary>The MongoDB state store against a real server (FL_MONGO_URL or a container); each test class uses a database of its own.</summary>
[Collection(MongoFixture.Collection)]
public sealed class MongoStateStoreTests(MongoFixture mongo) : IAsyncLifetime
{
    private readonly string _database = $"flstate_{Guid.NewGuid():N}"[..30];
    private MongoClient? _client;

    public Task InitializeAsync()
    {
        if (mongo.Server is not null) _client = new MongoClient(mongo.ConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_client is null) return;
        await _client.DropDatabaseAsync(_database);
        _client.Dispose();
    }

    [MongoFact]
    public Task Documents_round_trip_and_replace_by_key() =>
        StateStoreContract.Documents_round_trip_and_replace_by_key(new MongoStateStore(_client!, _database, "state_reward"));

    [MongoFact]
    public Task A_new_instance_reads_what_the_last_one_wrote() =>
        StateStoreContract.A_new_instance_reads_what_the_last_one_wrote(() => new MongoStateStore(_client!, _database, "state_reward"));

    [MongoFact]
    public async Task Each_service_has_its_own_collection()
    {
        var stores = new MongoStateStores(_client!, _database);
        await stores.Open("reward").PutAsync("k", "1", new StateStoreContract.Account("a", 1m, [], DateTimeOffset.UnixEpoch, null), CancellationToken.None);

        Assert.Empty(await stores.Open("selector").ListAsync<StateStoreContract.Account>("k", CancellationToken.None));
        Assert.Single(await stores.Open("reward").ListAsync<StateStoreContract.Account>("k", CancellationToken.None));
        Assert.True(await new MongoStateStore(_client!, _database, "state_reward").PingAsync(CancellationToken.None));
    }
}
