using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure;

/// <summary>Where the embedded stores keep their data; bound from the "Storage" configuration section.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>Root folder of the file model store.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ModelStoreRoot { get; set; } = ".fl/models";

    [Range(1, 1024)]
    public int UpdateStreamPartitions { get; set; } = 4;
}
