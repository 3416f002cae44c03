using FlMicroservices.Infrastructure.State;
using MongoDB.Bson;
using MongoDB.Driver;

namespace FlMicroservices.Infrastructure.Stores.Mongo;

/// <summary>A service's state in one MongoDB collection ("state_&lt;service&gt;"), one document per kind and key, written with majority concern.</summary>
public sealed class MongoStateStore : JsonStateStore
{
    private readonly IMongoCollection<BsonDocument> _collection;

    public MongoStateStore(IMongoClient client, string database, string collection)
    {
        ArgumentNullException.ThrowIfNull(client);
        _collection = client.GetDatabase(database).GetCollection<BsonDocument>(collection).WithWriteConcern(WriteConcern.WMajority);
        Location = $"mongodb {database}.{collection}";
    }

    public override string Location { get; }

    /// <summary>True when the server answers a ping.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _collection.Database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is MongoException or TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    protected override async Task<IReadOnlyList<(string Key, string Json)>> ReadAllAsync(string kind, CancellationToken cancellationToken)
    {
        var found = await _collection.Find(new BsonDocument("kind", kind)).ToListAsync(cancellationToken).ConfigureAwait(false);
        return found.Select(d => (d["key"].AsString, d["json"].AsString)).OrderBy(d => d.Item1, StringComparer.Ordinal).ToArray();
    }

    protected override async Task<string?> ReadAsync(string kind, string key, CancellationToken cancellationToken)
    {
        var found = await _collection.Find(new BsonDocument("_id", Id(kind, key))).FirstOrDefaultAsync(cancellationToken).ConfigureAwait(false);
        return found?["json"].AsString;
    }

    protected override Task WriteAsync(string kind, string key, string json, CancellationToken cancellationToken) =>
        _collection.ReplaceOneAsync(new BsonDocument("_id", Id(kind, key)),
            new BsonDocument { { "_id", Id(kind, key) }, { "kind", kind }, { "key", key }, { "json", json }, { "updated", DateTime.UtcNow } },
            new ReplaceOptions { IsUpsert = true }, cancellationToken);

    private static string Id(string kind, string key) => $"{kind}/{key}";
}

/// <summary>Storage:State=MongoDb: each service's store is the collection "state_&lt;service&gt;" of the database Mongo:Database.</summary>
public sealed class MongoStateStores(IMongoClient client, string database) : IStateStoreFactory
{
    public IStateStore Open(string service) => new MongoStateStore(client, database, "state_" + service);
}
