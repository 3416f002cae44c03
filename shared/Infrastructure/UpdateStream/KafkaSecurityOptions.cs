using System.ComponentModel.DataAnnotations;
using Confluent.Kafka;

namespace FlMicroservices.Infrastructure.UpdateStream;

/// <summary>How every Kafka client of a process authenticates and encrypts; bound from "UpdateStream:Security".</summary>
/// <remarks>Passed to producers, consumers, readers, the topic provisioner and the readiness check alike; see docs/deployment.md.</remarks>
public sealed class KafkaSecurityOptions : IValidatableObject
{
    public const string Section = "UpdateStream:Security";

    /// <summary>Kafka's security.protocol: Plaintext (default), Ssl, SaslPlaintext or SaslSsl.</summary>
    [RegularExpression("^(Plaintext|Ssl|SaslPlaintext|SaslSsl)$", ErrorMessage = "UpdateStream:Security:Protocol must be Plaintext, Ssl, SaslPlaintext or SaslSsl.")]
    public string Protocol { get; set; } = "Plaintext";

    /// <summary>sasl.mechanism for the Sasl* protocols: Plain, ScramSha256 or ScramSha512.</summary>
    [RegularExpression("^(Plain|ScramSha256|ScramSha512)$", ErrorMessage = "UpdateStream:Security:SaslMechanism must be Plain, ScramSha256 or ScramSha512.")]
    public string? SaslMechanism { get; set; }

    public string? SaslUsername { get; set; }

    /// <summary>The SASL password; put it in a secret file (see docs/deployment.md), not in plain environment.</summary>
    public string? SaslPassword { get; set; }

    /// <summary>PEM file of the CA that signed the brokers' certificates (ssl.ca.location); the system store when unset.</summary>
    public string? SslCaLocation { get; set; }

    /// <summary>PEM client certificate for mutual TLS (ssl.certificate.location), with <see cref="SslKeyLocation"/>.</summary>
    public string? SslCertificateLocation { get; set; }

    public string? SslKeyLocation { get; set; }

    public string? SslKeyPassword { get; set; }

    /// <summary>Whether the broker's host name must match its certificate (ssl.endpoint.identification.algorithm=https); on by default.</summary>
    public bool SslVerifyHostName { get; set; } = true;

    private bool UsesSasl => Protocol is "SaslPlaintext" or "SaslSsl";

    private bool UsesSsl => Protocol is "Ssl" or "SaslSsl";

    /// <summary>Copies these settings onto a Confluent.Kafka client configuration.</summary>
    public void ApplyTo(ClientConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.SecurityProtocol = Enum.Parse<SecurityProtocol>(Protocol);
        if (UsesSasl)
        {
            config.SaslMechanism = Enum.Parse<Confluent.Kafka.SaslMechanism>(SaslMechanism!);
            config.SaslUsername = SaslUsername;
            config.SaslPassword = SaslPassword;
        }
        if (UsesSsl)
        {
            if (!string.IsNullOrEmpty(SslCaLocation)) config.SslCaLocation = SslCaLocation;
            if (!string.IsNullOrEmpty(SslCertificateLocation)) config.SslCertificateLocation = SslCertificateLocation;
            if (!string.IsNullOrEmpty(SslKeyLocation)) config.SslKeyLocation = SslKeyLocation;
            if (!string.IsNullOrEmpty(SslKeyPassword)) config.SslKeyPassword = SslKeyPassword;
            config.SslEndpointIdentificationAlgorithm = SslVerifyHostName ? SslEndpointIdentificationAlgorithm.Https : SslEndpointIdentificationAlgorithm.None;
        }
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (UsesSasl)
        {
            if (string.IsNullOrEmpty(SaslMechanism))
                yield return new ValidationResult($"is required when Protocol is {Protocol}.", [nameof(SaslMechanism)]);
            if (string.IsNullOrEmpty(SaslUsername))
                yield return new ValidationResult($"is required when Protocol is {Protocol}.", [nameof(SaslUsername)]);
            if (string.IsNullOrEmpty(SaslPassword))
                yield return new ValidationResult($"is required when Protocol is {Protocol} (put it in a secret file, see docs/deployment.md).", [nameof(SaslPassword)]);
        }
        else if (!string.IsNullOrEmpty(SaslUsername) || !string.IsNullOrEmpty(SaslPassword) || !string.IsNullOrEmpty(SaslMechanism))
        {
            yield return new ValidationResult($"SASL settings are given but Protocol is {Protocol}, so they would not be used; set Protocol to SaslPlaintext or SaslSsl.", [nameof(Protocol)]);
        }
        var files = new[] { (nameof(SslCaLocation), SslCaLocation), (nameof(SslCertificateLocation), SslCertificateLocation), (nameof(SslKeyLocation), SslKeyLocation) };
        foreach (var (name, path) in files.Where(f => !string.IsNullOrEmpty(f.Item2)))
        {
            if (!UsesSsl)
                yield return new ValidationResult($"is set but Protocol is {Protocol}, so it would not be used; set Protocol to Ssl or SaslSsl.", [name]);
            else if (!File.Exists(path))
                yield return new ValidationResult($"'{path}' does not exist or cannot be read.", [name]);
        }
        if (string.IsNullOrEmpty(SslCertificateLocation) != string.IsNullOrEmpty(SslKeyLocation))
            yield return new ValidationResult("a client certificate needs both SslCertificateLocation and SslKeyLocation.", [nameof(SslCertificateLocation), nameof(SslKeyLocation)]);
    }
}
