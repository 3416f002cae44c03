using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.Stores.Mongo;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;

namespace FlMicroservices.Infrastructure.Tests.Mongo;

/// <summary>What the MongoDB model store does without a server: BSON mapping, the index, the weights bytes, argument checks.</summary>
public sealed class MongoMappingTests
{
    private static readonly ModelVersionInfo Info = new("mnist-1", 3, 7, 2, 4, "abc123", 0.9125, 0.25, true,
        new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)).AddTicks(1234567));

    public MongoMappingTests() => ModelDocuments.Register();

    [Fact]
    public void A_version_document_round_trips_through_bson_with_the_exact_creation_time()
    {
        var weightsId = ObjectId.GenerateNewId();
        var document = ModelVersionDocument.From(Info, weightsId, "feed");

        var bson = document.ToBsonDocument();
        var back = BsonSerializer.Deserialize<ModelVersionDocument>(bson);

        Assert.Equal(["_id", "TaskId", "Version", "Round", "ParentVersion", "ParameterCount", "Digest", "Accuracy", "Loss", "RolledBack",
            "CreatedAt", "WeightsId", "WeightsDigest"], bson.Names);
        Assert.Equal("mnist-1", bson["TaskId"].AsString);
        Assert.Equal(3, bson["Version"].AsInt32);
        Assert.Equal(weightsId, bson["WeightsId"].AsObjectId);
        var created = bson["CreatedAt"].AsBsonDocument;
        Assert.Equal(Info.CreatedAt.Ticks, created["Ticks"].AsInt64);
        Assert.Equal(120, created["Offset"].AsInt32);
        Assert.Equal(Info.CreatedAt.UtcDateTime.AddTicks(-(Info.CreatedAt.UtcTicks % TimeSpan.TicksPerMillisecond)), created["DateTime"].ToUniversalTime());
        Assert.Equal(Info, back.ToInfo());
        Assert.Equal(TimeSpan.FromHours(2), back.ToInfo().CreatedAt.Offset);
        Assert.Equal("feed", back.WeightsDigest);
    }

    [Fact]
    public void Missing_optional_values_are_stored_as_null_and_read_back_as_null()
    {
        var info = Info with { ParentVersion = null, Accuracy = null, Loss = null };

        var bson = ModelVersionDocument.From(info, ObjectId.Empty, "").ToBsonDocument();

        Assert.True(bson["ParentVersion"].IsBsonNull);
        Assert.True(bson["Accuracy"].IsBsonNull);
        Assert.Equal(info, BsonSerializer.Deserialize<ModelVersionDocument>(bson).ToInfo());
    }

    [Fact]
    public void The_current_pointer_is_keyed_by_task_id()
    {
        var pointer = new ModelCurrentDocument { TaskId = "mnist-1", Version = 4, UpdatedAt = Info.CreatedAt };

        var bson = pointer.ToBsonDocument();

        Assert.Equal("mnist-1", bson["_id"].AsString);
        Assert.Equal(4, bson["Version"].AsInt32);
        Assert.False(bson.Contains("TaskId"));
        Assert.Equal(Info.CreatedAt, BsonSerializer.Deserialize<ModelCurrentDocument>(bson).UpdatedAt);
    }

    [Fact]
    public void The_version_index_is_unique_on_task_then_version()
    {
        var index = MongoModelStore.VersionIndex;
        var serializer = BsonSerializer.LookupSerializer<ModelVersionDocument>();

        var keys = index.Keys.Render(new RenderArgs<ModelVersionDocument>(serializer, BsonSerializer.SerializerRegistry));

        Assert.Equal(new BsonDocument { { "TaskId", 1 }, { "Version", 1 } }, keys);
        Assert.True(index.Options.Unique);
        Assert.Equal("task_version_unique", index.Options.Name);
    }

    [Fact]
    public void Weights_are_stored_as_little_endian_float32()
    {
        float[] weights = [1f, -2.5f, float.NaN, -0f, float.Epsilon];

        var bytes = WeightsBytes.ToLittleEndian(weights);

        Assert.Equal(20, bytes.Length);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3F }, bytes[..4]);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x20, 0xC0 }, bytes[4..8]);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x00, 0x80 }, bytes[12..16]);
        Assert.Equal(new byte[] { 0x01, 0x00, 0x00, 0x00 }, bytes[16..20]);
        Assert.Equal(weights.Select(BitConverter.SingleToInt32Bits), WeightsBytes.FromLittleEndian(bytes, "test").Select(BitConverter.SingleToInt32Bits));
        Assert.Empty(WeightsBytes.FromLittleEndian([], "test"));
    }

    [Fact]
    public void A_byte_count_that_is_not_whole_floats_is_refused_naming_the_source()
    {
        var error = Assert.Throws<InvalidDataException>(() => WeightsBytes.FromLittleEndian(new byte[7], "task 'x' version 2"));

        Assert.Contains("task 'x' version 2", error.Message);
        Assert.Contains("7 bytes", error.Message);
    }

    [Fact]
    public void The_digest_check_accepts_the_right_digest_and_names_the_source_on_a_mismatch()
    {
        float[] weights = [1f, 2f, 3f];
        var digest = WeightsFile.Digest(weights);

        WeightsBytes.VerifyDigest(weights, digest, "ok");
        WeightsBytes.VerifyDigest(weights, digest.ToUpperInvariant(), "ok");
        var mismatch = Assert.Throws<InvalidDataException>(() => WeightsBytes.VerifyDigest([1f, 2f, 3.0001f], digest, "Weights of task 'm' version 5"));
        var missing = Assert.Throws<InvalidDataException>(() => WeightsBytes.VerifyDigest(weights, null, "Candidate 'm/candidates/round-000001'"));

        Assert.Contains("Weights of task 'm' version 5", mismatch.Message);
        Assert.Contains(digest, mismatch.Message);
        Assert.Contains("Candidate 'm/candidates/round-000001'", missing.Message);
    }

    [Fact]
    public async Task Bad_arguments_are_refused_before_any_server_call()
    {
        var store = UnreachableStore();
        float[] weights = [1f, 2f];

        var count = await Assert.ThrowsAsync<ArgumentException>(() => store.SaveVersionAsync(Info with { ParameterCount = 3 }, weights, default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.SaveVersionAsync(Info with { Version = -1, ParameterCount = 2 }, weights, default));
        var task = await Assert.ThrowsAsync<ArgumentException>(() => store.GetVersionAsync("../etc", 0, default));
        var reference = await Assert.ThrowsAsync<ArgumentException>(() => store.LoadCandidateAsync("mnist-1/versions/000001", default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.SaveCandidateAsync("mnist-1", -1, weights, default));

        Assert.Contains("3 parameters", count.Message);
        Assert.Contains("'../etc'", task.Message);
        Assert.Contains("'mnist-1/versions/000001'", reference.Message);
    }

    [Fact]
    public async Task Calls_fail_after_the_retries_when_no_server_answers_and_the_probe_says_not_ready()
    {
        var store = UnreachableStore();

        var call = store.GetCurrentVersionAsync("mnist-1", default);
        var finished = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.Same(call, finished);
        var error = await Assert.ThrowsAnyAsync<Exception>(() => call);
        Assert.True(MongoModelStore.IsTransient(error) || error is Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException,
            $"unexpected exception {error}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.False(await store.PingAsync(timeout.Token));
    }

    private static MongoModelStore UnreachableStore()
    {
        // Port 1 on the loopback: nothing listens, so server selection gives up after its short timeout.
        var client = new MongoClient("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300");
        var resilience = new ResilienceOptions { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(10), AttemptTimeout = TimeSpan.FromSeconds(5) };
        return new MongoModelStore(client, new MongoOptions(), resilience);
    }
}
