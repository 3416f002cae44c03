using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure.UpdateStream;

/// <summary>Which update stream the services use; bound from the "UpdateStream" section.</summary>
/// <remarks>The Kafka bootstrap servers come from the connection string "kafka" (ConnectionStrings:kafka).</remarks>
public sealed class UpdateStreamOptions
{
    public const string Section = "UpdateStream";
    public const string ConnectionStringName = "kafka";

    /// <summary>"InProcess" (the embedded default) or "Kafka".</summary>
    [Required]
    [RegularExpression("^(InProcess|Kafka)$", ErrorMessage = "UpdateStream:Transport must be 'InProcess' or 'Kafka'.")]
    public string Transport { get; set; } = "InProcess";

    /// <summary>The Kafka topic that carries update slices.</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression("^[A-Za-z0-9._-]{1,249}$", ErrorMessage = "UpdateStream:Topic must be a valid Kafka topic name.")]
    public string Topic { get; set; } = "fl.updates";

    /// <summary>Producer compression: "lz4" (default) or "zstd".</summary>
    [RegularExpression("^(lz4|zstd)$", ErrorMessage = "UpdateStream:Compression must be 'lz4' or 'zstd'.")]
    public string Compression { get; set; } = "lz4";

    /// <summary>How long a producer may wait to batch records (Kafka's linger.ms).</summary>
    [Range(0, 1000)]
    public int LingerMs { get; set; } = 5;

    /// <summary>How long one poll of the consumer waits for a record before it yields.</summary>
    [Range(1, 10_000)]
    public int PollMs { get; set; } = 100;

    public bool IsKafka => string.Equals(Transport, "Kafka", StringComparison.Ordinal);
}
