using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>Which message transport the services use; bound from the "Messaging" configuration section.</summary>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";

    /// <summary>"InMemory" (the embedded default: every service in one process).</summary>
    [Required]
    [RegularExpression("^(InMemory)$", ErrorMessage = "Messaging:Transport must be 'InMemory'.")]
    public string Transport { get; set; } = "InMemory";

    /// <summary>How often a consumer that throws is retried before its message goes to the error queue.</summary>
    [Range(0, 20)]
    public int RetryCount { get; set; } = 3;
}
