using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure;

/// <summary>Where the embedded stores keep their data; bound from the "Storage" configuration section.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Root folder of the file model store; a relative path lies under the data root (<see cref="DataRoot"/>).</summary>
    [Required(AllowEmptyStrings = false)]
    public string ModelStoreRoot { get; set; } = "models";

    /// <summary>"File" (the embedded default) or "MongoDb"; the service defaults pick the adapter.</summary>
    [RegularExpression("^(File|MongoDb)$", ErrorMessage = "Storage:ModelStore must be 'File' or 'MongoDb'.")]
    public string ModelStore { get; set; } = "File";

    /// <summary>Where the services keep their state: "Sqlite" (the embedded default, one file per service under <see cref="StateRoot"/>),
    /// "MongoDb" (ConnectionStrings:mongodb, database Mongo:Database) or "InMemory" (nothing survives a restart); see docs/state.md.</summary>
    [RegularExpression("^(Sqlite|MongoDb|InMemory)$", ErrorMessage = "Storage:State must be 'Sqlite', 'MongoDb' or 'InMemory'.")]
    public string State { get; set; } = "Sqlite";

    /// <summary>Folder of the SQLite state files ("&lt;service&gt;.db"); a relative path lies under the data root (<see cref="DataRoot"/>).</summary>
    [Required(AllowEmptyStrings = false)]
    public string StateRoot { get; set; } = "state";

    [Range(1, 1024)]
    public int UpdateStreamPartitions { get; set; } = 4;
}
