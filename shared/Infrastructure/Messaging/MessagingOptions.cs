using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>Which message transport the services use; bound from the "Messaging" configuration section.</summary>
/// <remarks>The RabbitMQ broker's address comes from the connection string "rabbitmq" (ConnectionStrings:rabbitmq), an amqp:// or (TLS) amqps:// URI.</remarks>
public sealed class MessagingOptions
{
    public const string Section = "Messaging";
    public const string ConnectionStringName = "rabbitmq";

    /// <summary>"InMemory" (the embedded default: every service in one process) or "RabbitMq".</summary>
    [Required]
    [RegularExpression("^(InMemory|RabbitMq)$", ErrorMessage = "Messaging:Transport must be 'InMemory' or 'RabbitMq'.")]
    public string Transport { get; set; } = "InMemory";

    /// <summary>How often a consumer that throws is retried in place before its message is redelivered or dead-lettered.</summary>
    [Range(0, 20)]
    public int RetryCount { get; set; } = 3;

    /// <summary>First retry interval; later ones grow exponentially (with the retry count) up to ten times this.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Second-level retries, after the in-place ones are spent, with a longer back-off (<see cref="RedeliveryInterval"/>
    /// times the attempt). The message stays unacknowledged meanwhile, so the broker redelivers it if the process dies.
    /// When every attempt failed, the message moves to the endpoint's "_error" queue (the dead-letter queue), where it
    /// stays for inspection or replay: a failing consumer never loses a message. 0 disables this stage.
    /// </summary>
    [Range(0, 10)]
    public int RedeliveryCount { get; set; } = 2;

    [Range(typeof(TimeSpan), "00:00:00.001", "00:10:00")]
    public TimeSpan RedeliveryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Messages a consumer endpoint handles at once.</summary>
    [Range(1, 1000)]
    public int PrefetchCount { get; set; } = 16;

    /// <summary>PEM file of the CA that signed the broker's certificate, for amqps:// brokers with a private CA; the system store when unset.</summary>
    public string? TlsCaCertificate { get; set; }

    /// <summary>PEM client certificate (with <see cref="TlsClientKey"/>) for brokers that require mutual TLS.</summary>
    public string? TlsClientCertificate { get; set; }

    public string? TlsClientKey { get; set; }

    /// <summary>
    /// Folder of per-account broker passwords (one file NAME.password per <see cref="BrokerAccounts"/> account). When set, a
    /// process that has an account (each service, a node) connects as its own user fl-NAME, which may publish only its own
    /// messages, instead of the user in ConnectionStrings:rabbitmq (docs/security.md, "Broker accounts").
    /// </summary>
    public string? AccountsDirectory { get; set; }

    public bool IsRabbitMq => string.Equals(Transport, "RabbitMq", StringComparison.Ordinal);
}
