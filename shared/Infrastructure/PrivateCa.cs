using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FlMicroservices.Infrastructure;

/// <summary>A deployment's own CA (a PEM file): a server certificate is trusted when its name matches and it chains to that CA.</summary>
public sealed class PrivateCa
{
    private readonly X509Certificate2Collection _trust;

    private PrivateCa(X509Certificate2Collection trust) => _trust = trust;

    /// <summary>The CA certificates in <paramref name="path"/>; a missing, unreadable or empty file stops start-up naming <paramref name="setting"/>.</summary>
    public static PrivateCa Load(string path, string setting)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new InvalidOperationException($"Invalid configuration: {setting} '{path}' does not exist or cannot be read.");
        var trust = new X509Certificate2Collection();
        try
        {
            trust.ImportFromPemFile(path);
        }
        catch (CryptographicException e)
        {
            throw new InvalidOperationException($"Invalid configuration: {setting} '{path}' cannot be read as PEM certificates: {e.Message}", e);
        }
        if (trust.Count == 0) throw new InvalidOperationException($"Invalid configuration: {setting} '{path}' holds no PEM certificate.");
        return new PrivateCa(trust);
    }

    /// <summary>Whether a TLS server's certificate is trusted: present, for the host asked for, and chaining to this CA (no revocation list: a private CA publishes none).</summary>
    public bool Validates(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_trust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    }
}
