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

    [Range(1, 1024)]
    public int UpdateStreamPartitions { get; set; } = 4;
}
