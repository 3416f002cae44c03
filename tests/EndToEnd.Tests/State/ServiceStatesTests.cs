using FlMicroservices.Infrastructure.State;
using FlMicroservices.Infrastructure.Stores.Mongo;
using FlMicroservices.Testing;
using MongoDB.Driver;

namespace FlMicroservices.EndToEnd.Tests.State;

/// <summary>Every service's state on the embedded backend: a new SQLite file per test.</summary>
public sealed class SqliteServiceStatesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fl-states-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private Func<IStateStore> Open(string service) => () => new SqliteStateStore(Path.Combine(_folder, service + ".db"));

    [Fact]
    public Task Reward_ledger() => ServiceStatesContract.Reward_ledger(Open("reward"));

    [Fact]
    public Task Selector_schedule() => ServiceStatesContract.Selector_schedule(Open("selector"));

    [Fact]
    public Task Aggregation_nonces() => ServiceStatesContract.Aggregation_nonces(Open("aggregation"));

    [Fact]
    public Task Registry_catalog() => ServiceStatesContract.Registry_catalog(Open("registry"));

    [Fact]
    public Task Model_registry_tasks() => ServiceStatesContract.Model_registry_tasks(Open("model-registry"));
}

/// <summary>Every service's state on MongoDB (FL_MONGO_URL or a container; skipped with that message otherwise), a database per test class.</summary>
[Collection(MongoFixture.Collection)]
public sealed class MongoServiceStatesTests(MongoFixture mongo) : IAsyncLifetime
{
    private readonly string _database = $"flstates_{Guid.NewGuid():N}"[..30];
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

    private Func<IStateStore> Open(string service) => () => new MongoStateStores(_client!, _database).Open(service);

    [MongoFact]
    public Task Reward_ledger() => ServiceStatesContract.Reward_ledger(Open("reward"));

    [MongoFact]
    public Task Selector_schedule() => ServiceStatesContract.Selector_schedule(Open("selector"));

    [MongoFact]
    public Task Aggregation_nonces() => ServiceStatesContract.Aggregation_nonces(Open("aggregation"));

    [MongoFact]
    public Task Registry_catalog() => ServiceStatesContract.Registry_catalog(Open("registry"));

    [MongoFact]
    public Task Model_registry_tasks() => ServiceStatesContract.Model_registry_tasks(Open("model-registry"));
}

/// <summary>A MongoDB server when one can be had (see <see cref="MongoFactAttribute"/>).</summary>
[CollectionDefinition(MongoFixture.Collection)]
public sealed class MongoCollection : ICollectionFixture<MongoFixture>;
