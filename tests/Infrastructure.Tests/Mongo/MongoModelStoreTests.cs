using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.Stores.Mongo;
using FlMicroservices.Testing;
using MongoDB.Bson;
using MongoDB.Driver;

namespace FlMicroservices.Infrastructure.Tests.Mongo;

/// <summary>The MongoDB model store against a real server (FL_MONGO_URL or a container); each test class uses a database of its own.</summary>
[Collection(MongoFixture.Collection)]
public sealed class MongoModelStoreTests(MongoFixture mongo, ITestOutputHelper output) : IAsyncLifetime
{
    private const string TaskId = "mnist-1";
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly float[] Special =
        [0f, -0f, 1.5f, -3.25e-8f, float.Epsilon, float.MaxValue, float.MinValue, float.NaN, float.PositiveInfinity, 0.1f, 1f / 3];

    private readonly string _database = $"fltest_{Guid.NewGuid():N}"[..30];
    private MongoClient? _client;
    private MongoModelStore _store = null!;

    public Task InitializeAsync()
    {
        if (mongo.Server is null) return Task.CompletedTask; // every test here is a [MongoFact] and skipped then
        output.WriteLine($"MongoDB: {mongo.Server.Description}");
        _client = new MongoClient(mongo.ConnectionString);
        _store = new MongoModelStore(_client, new MongoOptions { Database = _database }, new ResilienceOptions());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_client is null) return;
        await _client.DropDatabaseAsync(_database);
        _client.Dispose();
    }

    private static ModelVersionInfo Info(int version, float[] weights, int? parent = null, double? accuracy = null) =>
        new(TaskId, version, version, parent, weights.Length, WeightsFile.Digest(weights), accuracy, accuracy is null ? null : 1 - accuracy,
            false, new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)).AddTicks(1234567));

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    private IMongoDatabase Database => _client!.GetDatabase(_database);

    [MongoFact]
    public async Task A_saved_version_round_trips_weights_bit_for_bit_and_its_metadata()
    {
        var info = Info(1, Special, parent: 0, accuracy: 0.9125);

        await _store.SaveVersionAsync(info, Special, None);

        Assert.Equal(Bits(Special), Bits(await _store.LoadWeightsAsync(TaskId, 1, None)));
        var loaded = await _store.GetVersionAsync(TaskId, 1, None);
        Assert.Equal(info, loaded);
        Assert.Equal(TimeSpan.FromHours(2), loaded!.CreatedAt.Offset);
        Assert.Null(await _store.GetVersionAsync(TaskId, 2, None));
        var file = await (await Database.GetCollection<BsonDocument>("weights.files").FindAsync(new BsonDocument())).SingleAsync();
        Assert.Equal($"{TaskId}/versions/000001", file["filename"].AsString);
        Assert.Equal(Special.Length * 4, file["length"].ToInt64());
        Assert.Equal(WeightsFile.Digest(Special), file["metadata"]["digest"].AsString);
    }

    [MongoFact]
    public async Task Versions_are_listed_in_order_and_a_missing_one_is_not_found()
    {
        for (var v = 2; v >= 0; v--)
        {
            float[] w = [v, v + 0.5f];
            await _store.SaveVersionAsync(Info(v, w, parent: v == 0 ? null : v - 1), w, None);
        }

        var versions = await _store.ListVersionsAsync(TaskId, None);

        Assert.Equal([0, 1, 2], versions.Select(v => v.Version));
        Assert.Null(versions[0].ParentVersion);
        Assert.Empty(await _store.ListVersionsAsync("other-task", None));
        var missing = await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.LoadWeightsAsync(TaskId, 9, None));
        Assert.Contains("'mnist-1'", missing.Message);
        Assert.Contains("version 9", missing.Message);
    }

    [MongoFact]
    public async Task The_current_pointer_moves_forward_and_back_and_only_to_stored_versions()
    {
        float[] v0 = [1f], v1 = [2f];
        Assert.Null(await _store.GetCurrentVersionAsync(TaskId, None));
        await _store.SaveVersionAsync(Info(0, v0), v0, None);
        await _store.SaveVersionAsync(Info(1, v1, parent: 0), v1, None);

        await _store.SetCurrentVersionAsync(TaskId, 0, None);
        Assert.Equal(0, await _store.GetCurrentVersionAsync(TaskId, None));
        await _store.SetCurrentVersionAsync(TaskId, 1, None);
        Assert.Equal(1, await _store.GetCurrentVersionAsync(TaskId, None));
        await _store.SetCurrentVersionAsync(TaskId, 0, None);
        Assert.Equal(0, await _store.GetCurrentVersionAsync(TaskId, None));

        await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.SetCurrentVersionAsync(TaskId, 5, None));
        Assert.Equal(0, await _store.GetCurrentVersionAsync(TaskId, None));
        Assert.Equal(1, await Database.GetCollection<BsonDocument>(MongoModelStore.CurrentCollection).CountDocumentsAsync(new BsonDocument()));
    }

    [MongoFact]
    public async Task Versions_are_immutable_but_an_identical_save_is_accepted()
    {
        float[] original = [1f, 2f, 3f];
        await _store.SaveVersionAsync(Info(0, original), original, None);

        float[] other = [9f, 9f, 9f];
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _store.SaveVersionAsync(Info(0, other), other, None));
        var changedMetadata = await Assert.ThrowsAsync<InvalidOperationException>(
            () => _store.SaveVersionAsync(Info(0, original, accuracy: 0.5), original, None));
        await _store.SaveVersionAsync(Info(0, original), original, None);

        Assert.Contains("'mnist-1'", error.Message);
        Assert.Contains("version 0", error.Message);
        Assert.Contains("immutable", changedMetadata.Message);
        Assert.Equal(original, await _store.LoadWeightsAsync(TaskId, 0, None));
        Assert.Equal(1, await Database.GetCollection<BsonDocument>(MongoModelStore.VersionsCollection).CountDocumentsAsync(new BsonDocument()));
        Assert.Equal(1, await Database.GetCollection<BsonDocument>("weights.files").CountDocumentsAsync(new BsonDocument()));
    }

    [MongoFact]
    public async Task Concurrent_saves_of_one_version_store_exactly_one()
    {
        var saves = Enumerable.Range(0, 4).Select(i =>
        {
            float[] w = [i, i];
            return _store.SaveVersionAsync(Info(7, w), w, None);
        }).ToArray();

        var outcomes = await Task.WhenAll(saves.Select(async s =>
        {
            try { await s; return "saved"; }
            catch (InvalidOperationException e) when (e.Message.Contains("immutable", StringComparison.Ordinal)) { return "refused"; }
        }));

        Assert.Equal(1, outcomes.Count(o => o == "saved"));
        var stored = await _store.LoadWeightsAsync(TaskId, 7, None);
        Assert.Equal((await _store.GetVersionAsync(TaskId, 7, None))!.Digest, WeightsFile.Digest(stored));
        Assert.Equal(1, await Database.GetCollection<BsonDocument>("weights.files").CountDocumentsAsync(new BsonDocument()));
    }

    [MongoFact]
    public async Task Candidates_are_saved_loaded_and_replaced_by_round()
    {
        float[] first = [1f, float.NegativeInfinity, -0f, 3.5f];
        float[] second = [4f, 5f];

        var reference = await _store.SaveCandidateAsync(TaskId, 3, first, None);
        Assert.Equal("mnist-1/candidates/round-000003", reference);
        Assert.Equal(Bits(first), Bits(await _store.LoadCandidateAsync(reference, None)));

        Assert.Equal(reference, await _store.SaveCandidateAsync(TaskId, 3, second, None));
        Assert.Equal(second, await _store.LoadCandidateAsync(reference, None));
        Assert.Equal(1, await Database.GetCollection<BsonDocument>("weights.files").CountDocumentsAsync(new BsonDocument("filename", reference)));

        var missing = await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.LoadCandidateAsync("mnist-1/candidates/round-000004", None));
        Assert.Contains("round-000004", missing.Message);
    }

    [MongoFact]
    public async Task Corrupt_weights_are_detected_by_their_digest()
    {
        float[] weights = [1f, 2f, 3f, 4f];
        await _store.SaveVersionAsync(Info(2, weights), weights, None);
        var reference = await _store.SaveCandidateAsync(TaskId, 2, weights, None);
        // Same length, one weight changed: only the digest can tell.
        var chunks = Database.GetCollection<BsonDocument>("weights.chunks");
        foreach (var chunk in await (await chunks.FindAsync(new BsonDocument())).ToListAsync())
        {
            chunk["data"] = new BsonBinaryData(WeightsBytes.ToLittleEndian([1f, 2f, 3f, 5f]));
            await chunks.DeleteOneAsync(new BsonDocument("_id", chunk["_id"]));
            await chunks.InsertOneAsync(chunk);
        }

        var version = await Assert.ThrowsAsync<InvalidDataException>(() => _store.LoadWeightsAsync(TaskId, 2, None));
        var candidate = await Assert.ThrowsAsync<InvalidDataException>(() => _store.LoadCandidateAsync(reference, None));

        Assert.Contains("task 'mnist-1' version 2", version.Message);
        Assert.Contains("digest mismatch", version.Message);
        Assert.Contains(reference, candidate.Message);
    }

    [MongoFact]
    public async Task The_unique_index_is_created_once_and_the_probe_is_ready()
    {
        await _store.EnsureIndexesAsync(None);
        await _store.EnsureIndexesAsync(None);
        var second = new MongoModelStore(_client!, new MongoOptions { Database = _database }, new ResilienceOptions());
        await second.EnsureIndexesAsync(None);

        var indexes = await (await Database.GetCollection<BsonDocument>(MongoModelStore.VersionsCollection).Indexes.ListAsync()).ToListAsync();
        var unique = Assert.Single(indexes, i => i["name"].AsString == MongoModelStore.VersionIndexName);

        Assert.Equal(new BsonDocument { { "TaskId", 1 }, { "Version", 1 } }, unique["key"].AsBsonDocument);
        Assert.True(unique["unique"].ToBoolean());
        Assert.True(await _store.PingAsync(None));
    }
}
