using FlMicroservices.Infrastructure.Models;
using MongoDB.Bson;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;

namespace FlMicroservices.Infrastructure.Stores.Mongo;

/// <summary>One document of the collection model_versions: a <see cref="ModelVersionInfo"/> plus where its weights are.</summary>
/// <remarks>Mapped by <see cref="ModelDocuments.Register"/> (no attributes). CreatedAt is kept as a sub-document
/// {DateTime, Ticks, Offset}, so it round-trips to the tick and keeps its offset, as the file store does.</remarks>
public sealed class ModelVersionDocument
{
    public ObjectId Id { get; set; }
    public string TaskId { get; set; } = "";
    public int Version { get; set; }
    public int Round { get; set; }
    public int? ParentVersion { get; set; }
    public int ParameterCount { get; set; }
    public string Digest { get; set; } = "";
    public double? Accuracy { get; set; }
    public double? Loss { get; set; }
    public bool RolledBack { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Id of the GridFS file (bucket "weights") holding this version's weights.</summary>
    public ObjectId WeightsId { get; set; }

    /// <summary>SHA-256 of the weights as the store computed them (<see cref="WeightsFile.Digest"/>); Digest is the caller's.</summary>
    public string WeightsDigest { get; set; } = "";

    public static ModelVersionDocument From(ModelVersionInfo info, ObjectId weightsId, string weightsDigest) => new()
    {
        TaskId = info.TaskId,
        Version = info.Version,
        Round = info.Round,
        ParentVersion = info.ParentVersion,
        ParameterCount = info.ParameterCount,
        Digest = info.Digest,
        Accuracy = info.Accuracy,
        Loss = info.Loss,
        RolledBack = info.RolledBack,
        CreatedAt = info.CreatedAt,
        WeightsId = weightsId,
        WeightsDigest = weightsDigest,
    };

    public ModelVersionInfo ToInfo() =>
        new(TaskId, Version, Round, ParentVersion, ParameterCount, Digest, Accuracy, Loss, RolledBack, CreatedAt);
}

/// <summary>One document of the collection model_current: which version of a task clients train from.</summary>
public sealed class ModelCurrentDocument
{
    /// <summary>The task id (the document's _id: one pointer per task).</summary>
    public string TaskId { get; set; } = "";
    public int Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>The explicit BSON class maps of the model store's documents.</summary>
public static class ModelDocuments
{
    private static readonly Lock Gate = new();
    private static bool _registered;

    /// <summary>Registers the class maps once per process; later calls do nothing.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered) return;
            BsonClassMap.TryRegisterClassMap<ModelVersionDocument>(map =>
            {
                map.AutoMap();
                map.MapIdMember(d => d.Id);
                map.MapMember(d => d.CreatedAt).SetSerializer(new DateTimeOffsetSerializer(BsonType.Document));
                map.SetIgnoreExtraElements(true);
            });
            BsonClassMap.TryRegisterClassMap<ModelCurrentDocument>(map =>
            {
                map.AutoMap();
                map.MapIdMember(d => d.TaskId);
                map.MapMember(d => d.UpdatedAt).SetSerializer(new DateTimeOffsetSerializer(BsonType.Document));
                map.SetIgnoreExtraElements(true);
            });
            _registered = true;
        }
    }
}
