using System.Globalization;
using System.Text.RegularExpressions;
using FlMicroservices.Contracts;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.GridFS;
using Polly;

namespace FlMicroservices.Infrastructure.Stores.Mongo;

/// <summary>The model store over MongoDB: metadata in collections, weights in GridFS; shared by every service instance.</summary>
/// <remarks>Design notes: docs/infrastructure.md, "Store notes: MongoModelStore".</remarks>
public sealed partial class MongoModelStore : IModelStore
{
    public const string VersionsCollection = "model_versions";
    public const string CurrentCollection = "model_current";
    public const string BucketName = "weights";
    public const string VersionIndexName = "task_version_unique";
    private const string DigestKey = "digest";

    private readonly IMongoDatabase _database;
    private readonly IMongoCollection<ModelVersionDocument> _versions;
    private readonly IMongoCollection<ModelCurrentDocument> _current;
    private readonly GridFSBucket<ObjectId> _bucket;
    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _clock;
    private readonly Lock _indexGate = new();
    private Task? _indexes;

    public MongoModelStore(IMongoClient client, MongoOptions options, ResilienceOptions resilience, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resilience);
        OptionsValidation.ThrowIfInvalid(options, MongoOptions.Section);
        ModelDocuments.Register();
        _clock = clock ?? TimeProvider.System;
        _database = client.GetDatabase(options.Database);
        _versions = _database.GetCollection<ModelVersionDocument>(VersionsCollection);
        _current = _database.GetCollection<ModelCurrentDocument>(CurrentCollection);
        _bucket = new GridFSBucket<ObjectId>(_database, new GridFSBucketOptions { BucketName = BucketName });
        _pipeline = ExternalCallResilience.Create("mongodb", resilience, IsTransient, _clock);
    }

    /// <summary>The database this store writes to.</summary>
    public string DatabaseName => _database.DatabaseNamespace.DatabaseName;

    /// <summary>The unique index of model_versions: one document per (TaskId, Version).</summary>
    public static CreateIndexModel<ModelVersionDocument> VersionIndex { get; } = new(
        Builders<ModelVersionDocument>.IndexKeys.Ascending(d => d.TaskId).Ascending(d => d.Version),
        new CreateIndexOptions { Unique = true, Name = VersionIndexName });

    /// <summary>The failures the pipeline retries: no connection, no server selected in time, or a server-side time limit.</summary>
    public static bool IsTransient(Exception exception) =>
        exception is MongoConnectionException or TimeoutException or MongoExecutionTimeoutException;

    /// <summary>Creates the unique (TaskId, Version) index if it is missing; safe to call any number of times.</summary>
    public Task EnsureIndexesAsync(CancellationToken cancellationToken)
    {
        lock (_indexGate)
        {
            // Shared by concurrent callers, so it runs without any one caller's token; a failed attempt is retried by the next call.
            if (_indexes is null || _indexes.IsFaulted || _indexes.IsCanceled)
                _indexes = RunAsync(ct => _versions.Indexes.CreateOneAsync(VersionIndex, cancellationToken: ct), CancellationToken.None);
            return _indexes.WaitAsync(cancellationToken);
        }
    }

    /// <summary>One ping command, without retries: true when the server answers within <paramref name="cancellationToken"/>'s time.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _database.RunCommandAsync<BsonDocument>(new BsonDocument("ping", 1), cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is MongoException or TimeoutException or OperationCanceledException)
        {
            return false;
        }
    }

    public async Task SaveVersionAsync(ModelVersionInfo info, ReadOnlyMemory<float> weights, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        CheckId(info.TaskId);
        if (info.Version < 0) throw new ArgumentOutOfRangeException(nameof(info), info.Version, "Model versions start at 0.");
        if (info.ParameterCount != weights.Length)
            throw new ArgumentException($"Version {info.Version} declares {info.ParameterCount} parameters but {weights.Length} were given.", nameof(weights));
        await EnsureIndexesAsync(cancellationToken).ConfigureAwait(false);
        var digest = WeightsFile.Digest(weights.Span);
        var existing = await FindVersionAsync(info.TaskId, info.Version, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            ThrowUnlessSame(existing, info, digest);
            return;
        }

        var name = $"{info.TaskId}/versions/{info.Version.ToString("D6", CultureInfo.InvariantCulture)}";
        var metadata = new BsonDocument { { DigestKey, digest }, { "taskId", info.TaskId }, { "version", info.Version } };
        var weightsId = await UploadAsync(name, weights, metadata, cancellationToken).ConfigureAwait(false);
        try
        {
            // A fresh document per attempt: the driver sets its _id on insert.
            await RunAsync(ct => _versions.InsertOneAsync(ModelVersionDocument.From(info, weightsId, digest), cancellationToken: ct), cancellationToken).ConfigureAwait(false);
        }
        catch (MongoWriteException e) when (e.WriteError?.Category == ServerErrorCategory.DuplicateKey)
        {
            // Another writer (or an earlier attempt of this call) stored the version first.
            var winner = await FindVersionAsync(info.TaskId, info.Version, cancellationToken).ConfigureAwait(false);
            if (winner?.WeightsId != weightsId) await DeleteQuietlyAsync(weightsId).ConfigureAwait(false);
            if (winner is null) throw;
            ThrowUnlessSame(winner, info, digest);
        }
    }

    public async Task<ModelVersionInfo?> GetVersionAsync(string taskId, int version, CancellationToken cancellationToken) =>
        (await FindVersionAsync(CheckId(taskId), version, cancellationToken).ConfigureAwait(false))?.ToInfo();

    public async Task<IReadOnlyList<ModelVersionInfo>> ListVersionsAsync(string taskId, CancellationToken cancellationToken)
    {
        CheckId(taskId);
        var documents = await RunAsync(ct => _versions.Find(d => d.TaskId == taskId).SortBy(d => d.Version).ToListAsync(ct), cancellationToken)
            .ConfigureAwait(false);
        return documents.ConvertAll(d => d.ToInfo());
    }

    public async Task<float[]> LoadWeightsAsync(string taskId, int version, CancellationToken cancellationToken)
    {
        var document = await FindVersionAsync(CheckId(taskId), version, cancellationToken).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"Task '{taskId}' has no model version {version} in MongoDB database '{DatabaseName}'.");
        var source = $"Weights of task '{taskId}' version {version} (GridFS file {document.WeightsId} in bucket '{BucketName}')";
        try
        {
            return await DownloadAsync(ct => _bucket.OpenDownloadStreamAsync(document.WeightsId, cancellationToken: ct), source, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (GridFSFileNotFoundException e)
        {
            throw new InvalidDataException($"{source}: the file is missing although the version's metadata exists.", e);
        }
    }

    public async Task<int?> GetCurrentVersionAsync(string taskId, CancellationToken cancellationToken)
    {
        CheckId(taskId);
        var pointer = await RunAsync(ct => _current.Find(d => d.TaskId == taskId).FirstOrDefaultAsync(ct), cancellationToken).ConfigureAwait(false);
        return pointer?.Version;
    }

    public async Task SetCurrentVersionAsync(string taskId, int version, CancellationToken cancellationToken)
    {
        if (await FindVersionAsync(CheckId(taskId), version, cancellationToken).ConfigureAwait(false) is null)
            throw new KeyNotFoundException($"Task '{taskId}' has no model version {version} to make current.");
        var pointer = new ModelCurrentDocument { TaskId = taskId, Version = version, UpdatedAt = _clock.GetUtcNow() };
        await RunAsync(ct => _current.ReplaceOneAsync(d => d.TaskId == taskId, pointer, new ReplaceOptions { IsUpsert = true }, ct), cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<string> SaveCandidateAsync(string taskId, int round, ReadOnlyMemory<float> weights, CancellationToken cancellationToken)
    {
        CheckId(taskId);
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        var reference = $"{taskId}/candidates/round-{round.ToString("D6", CultureInfo.InvariantCulture)}";
        var metadata = new BsonDocument { { DigestKey, WeightsFile.Digest(weights.Span) }, { "taskId", taskId }, { "round", round } };
        var id = await UploadAsync(reference, weights, metadata, cancellationToken).ConfigureAwait(false);
        // Older revisions of this round's candidate are replaced; ids below ours are older (ObjectIds grow with time).
        var older = Builders<GridFSFileInfo<ObjectId>>.Filter.And(
            Builders<GridFSFileInfo<ObjectId>>.Filter.Eq(f => f.Filename, reference),
            Builders<GridFSFileInfo<ObjectId>>.Filter.Lt(f => f.Id, id));
        var stale = await RunAsync(async ct => await (await _bucket.FindAsync(older, cancellationToken: ct).ConfigureAwait(false)).ToListAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        foreach (var file in stale) await DeleteQuietlyAsync(file.Id).ConfigureAwait(false);
        return reference;
    }

    public async Task<float[]> LoadCandidateAsync(string reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (!CandidateReference().IsMatch(reference))
            throw new ArgumentException($"'{reference}' is not a candidate reference of this store.", nameof(reference));
        var source = $"Candidate '{reference}' (bucket '{BucketName}' of MongoDB database '{DatabaseName}')";
        try
        {
            return await DownloadAsync(ct => _bucket.OpenDownloadStreamByNameAsync(reference, new GridFSDownloadByNameOptions { Revision = -1 }, ct),
                source, cancellationToken).ConfigureAwait(false);
        }
        catch (GridFSFileNotFoundException e)
        {
            throw new KeyNotFoundException($"Candidate '{reference}' is not in MongoDB database '{DatabaseName}'.", e);
        }
    }

    private Task<ModelVersionDocument?> FindVersionAsync(string taskId, int version, CancellationToken cancellationToken) =>
        RunAsync<ModelVersionDocument?>(async ct => await _versions.Find(d => d.TaskId == taskId && d.Version == version).FirstOrDefaultAsync(ct).ConfigureAwait(false),
            cancellationToken);

    private Task<ObjectId> UploadAsync(string name, ReadOnlyMemory<float> weights, BsonDocument metadata, CancellationToken cancellationToken)
    {
        var bytes = WeightsBytes.ToLittleEndian(weights.Span);
        return RunAsync(async ct =>
        {
            // A new id per attempt: chunks an interrupted attempt left behind cannot collide with the next one.
            var id = ObjectId.GenerateNewId();
            await _bucket.UploadFromBytesAsync(id, name, bytes, new GridFSUploadOptions { Metadata = metadata }, ct).ConfigureAwait(false);
            return id;
        }, cancellationToken);
    }

    private Task<float[]> DownloadAsync(Func<CancellationToken, Task<GridFSDownloadStream<ObjectId>>> open, string source, CancellationToken cancellationToken) =>
        RunAsync(async ct =>
        {
            await using var stream = await open(ct).ConfigureAwait(false);
            var info = stream.FileInfo;
            if (info.Length > Array.MaxLength)
                throw new InvalidDataException($"{source}: {info.Length} bytes is too large for one weights vector.");
            var bytes = new byte[info.Length];
            await stream.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
            var weights = WeightsBytes.FromLittleEndian(bytes, source);
            var expected = info.Metadata is { } metadata && metadata.TryGetValue(DigestKey, out var digest) && digest.IsString ? digest.AsString : null;
            WeightsBytes.VerifyDigest(weights, expected, source);
            return weights;
        }, cancellationToken);

    private async Task DeleteQuietlyAsync(ObjectId id)
    {
        try
        {
            await RunAsync(ct => _bucket.DeleteAsync(id, ct), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MongoException or GridFSFileNotFoundException or TimeoutException)
        {
            // An orphaned GridFS file wastes space but is never read: versions point at their file by id.
        }
    }

    private static void ThrowUnlessSame(ModelVersionDocument existing, ModelVersionInfo info, string digest)
    {
        if (existing.ToInfo() != info || !string.Equals(existing.WeightsDigest, digest, StringComparison.Ordinal))
            throw new InvalidOperationException($"Task '{info.TaskId}' already has a version {info.Version}; versions are immutable.");
    }

    private Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(static async (call, ct) => await call(ct).ConfigureAwait(false), call, cancellationToken).AsTask();

    private Task RunAsync(Func<CancellationToken, Task> call, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(static async (call, ct) => await call(ct).ConfigureAwait(false), call, cancellationToken).AsTask();

    private static string CheckId(string taskId) => Identifiers.Check(taskId, "Task id");

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}/candidates/round-\d{6,}$")]
    private static partial Regex CandidateReference();
}
