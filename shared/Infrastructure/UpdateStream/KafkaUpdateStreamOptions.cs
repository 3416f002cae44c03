using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure.UpdateStream;

/// <summary>Which update stream the services use; bound from the "UpdateStream" section.</summary>
/// <remarks>The Kafka bootstrap servers come from the connection string "kafka" (ConnectionStrings:kafka).</remarks>
public sealed class UpdateStreamOptions : IValidatableObject
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

    /// <summary>
    /// How the topic comes to exist: "Create" (default: created at start-up with the settings below when missing, and
    /// checked when present), "Verify" (must exist already; an operator made it) or "None" (left to the broker's auto-creation).
    /// </summary>
    [RegularExpression("^(Create|Verify|None)$", ErrorMessage = "UpdateStream:Provisioning must be Create, Verify or None.")]
    public string Provisioning { get; set; } = "Create";

    /// <summary>Partitions of a topic created at start-up, and the fewest an existing topic may have.</summary>
    [Range(1, 10_000)]
    public int Partitions { get; set; } = 4;

    /// <summary>Replication factor of a topic created at start-up; -1 (default) takes the broker's default.replication.factor.</summary>
    [Range(-1, 32)]
    public short ReplicationFactor { get; set; } = -1;

    /// <summary>How long Kafka keeps records of a topic created at start-up (retention.ms); at least the longest round a task may run.</summary>
    [Range(1, 24 * 365)]
    public int RetentionHours { get; set; } = 7 * 24;

    public bool IsKafka => string.Equals(Transport, "Kafka", StringComparison.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ReplicationFactor == 0)
            yield return new ValidationResult("must be -1 (the broker's default) or 1 to 32.", [nameof(ReplicationFactor)]);
    }
}
