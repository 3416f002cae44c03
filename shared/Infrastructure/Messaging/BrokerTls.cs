using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>TLS to an amqps:// RabbitMQ broker: the server certificate checked against the system store or a private CA, an optional client certificate.</summary>
public sealed class BrokerTls
{
    private readonly PrivateCa? _trust;

    private BrokerTls(string serverName, PrivateCa? trust, X509Certificate2? clientCertificate)
    {
        ServerName = serverName;
        _trust = trust;
        ClientCertificate = clientCertificate;
    }

    /// <summary>The name the broker's certificate must carry (the URI's host).</summary>
    public string ServerName { get; }

    public X509Certificate2? ClientCertificate { get; }

    public static SslProtocols Protocols => SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The TLS settings for <paramref name="broker"/>, or null for amqp://; a TLS file that is missing or unreadable stops start-up naming the setting.</summary>
    public static BrokerTls? For(Uri broker, MessagingOptions options)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(options);
        var files = new[] { (nameof(options.TlsCaCertificate), options.TlsCaCertificate), (nameof(options.TlsClientCertificate), options.TlsClientCertificate), (nameof(options.TlsClientKey), options.TlsClientKey) }
            .Where(f => !string.IsNullOrEmpty(f.Item2)).ToArray();
        if (broker.Scheme != "amqps")
        {
            if (files.Length > 0)
                throw new InvalidOperationException(
                    $"Invalid configuration: Messaging:{files[0].Item1} is set but ConnectionStrings:{MessagingOptions.ConnectionStringName} is not an amqps:// URI, so TLS is off; use amqps://.");
            return null;
        }
        foreach (var (name, path) in files)
            if (!File.Exists(path)) throw new InvalidOperationException($"Invalid configuration: Messaging:{name} '{path}' does not exist or cannot be read.");
        if (string.IsNullOrEmpty(options.TlsClientCertificate) != string.IsNullOrEmpty(options.TlsClientKey))
            throw new InvalidOperationException("Invalid configuration: a client certificate needs both Messaging:TlsClientCertificate and Messaging:TlsClientKey.");
        try
        {
            var trust = string.IsNullOrEmpty(options.TlsCaCertificate) ? null : PrivateCa.Load(options.TlsCaCertificate, "Messaging:TlsCaCertificate");
            var client = string.IsNullOrEmpty(options.TlsClientCertificate) ? null : X509Certificate2.CreateFromPemFile(options.TlsClientCertificate, options.TlsClientKey);
            return new BrokerTls(broker.Host, trust, client);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException($"Invalid configuration: the Messaging:Tls* PEM files cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Accepts the broker's certificate when its name matches and it chains to the system store, or to the private CA when one is configured.</summary>
    public bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_trust is not null) return _trust.Validates(certificate, errors);
        return certificate is not null && errors == SslPolicyErrors.None;
    }
}
