using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using FlMicroservices.Infrastructure.Stores;
using FlMicroservices.Infrastructure.Stores.Mongo;
using FlMicroservices.Testing;
using Microsoft.Extensions.Configuration;
using MongoDB.Driver;

namespace FlMicroservices.Infrastructure.Tests;

/// <summary>
/// The deployment's own CA as RabbitMQ, Redis and MongoDB clients use it: a server certificate it signed is trusted, one from
/// another CA or for another host is not; the MongoDB client's settings carry the check (no MongoDB server runs here, so the
/// handshake itself is not exercised).
/// </summary>
public sealed class PrivateCaTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fl-private-ca-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_certificate_the_CA_signed_is_trusted_and_one_from_another_CA_or_for_another_host_is_not()
    {
        var mine = TestCertificates.Create(Path.Combine(_folder, "mine"));
        var other = TestCertificates.Create(Path.Combine(_folder, "other"));
        var ca = PrivateCa.Load(mine.CaCertificate, "Test:Ca");
        using var server = X509Certificate2.CreateFromPemFile(mine.ServerCertificate, mine.ServerKey);
        using var stranger = X509Certificate2.CreateFromPemFile(other.ServerCertificate, other.ServerKey);

        // The system store does not know the CA, so the platform reports a chain error: the private CA is what decides.
        Assert.True(ca.Validates(server, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True(ca.Validates(server, SslPolicyErrors.None));
        Assert.False(ca.Validates(stranger, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(ca.Validates(server, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False(ca.Validates(null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public void A_missing_or_empty_CA_file_is_a_configuration_error_naming_the_setting()
    {
        Assert.Equal("Invalid configuration: Test:Ca '/nonexistent/ca.pem' does not exist or cannot be read.",
            Assert.Throws<InvalidOperationException>(() => PrivateCa.Load("/nonexistent/ca.pem", "Test:Ca")).Message);
        var empty = Path.Combine(_folder, "empty.pem");
        File.WriteAllText(empty, "not a certificate");
        Assert.Equal($"Invalid configuration: Test:Ca '{empty}' holds no PEM certificate.",
            Assert.Throws<InvalidOperationException>(() => PrivateCa.Load(empty, "Test:Ca")).Message);
    }

    [Fact]
    public void The_MongoDB_client_checks_the_server_against_the_private_CA_only_with_TLS()
    {
        var mine = TestCertificates.Create(Path.Combine(_folder, "mine"));
        var other = TestCertificates.Create(Path.Combine(_folder, "other"));
        var configuration = new ConfigurationBuilder().Build();
        var options = new MongoOptions { TlsCaCertificate = mine.CaCertificate };

        var settings = StoresExtensions.MongoSettings(MongoUrl.Create("mongodb://fl:pw@mongo:27017/fl?authSource=admin&tls=true"), options, configuration);
        Assert.True(settings.UseTls);
        var check = settings.SslSettings.ServerCertificateValidationCallback;
        using var server = X509Certificate2.CreateFromPemFile(mine.ServerCertificate, mine.ServerKey);
        using var stranger = X509Certificate2.CreateFromPemFile(other.ServerCertificate, other.ServerKey);
        Assert.True(check(this, server, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.False(check(this, stranger, null, SslPolicyErrors.RemoteCertificateChainErrors));

        Assert.Null(StoresExtensions.MongoSettings(MongoUrl.Create("mongodb://mongo/fl?tls=true"), new MongoOptions(), configuration).SslSettings?.ServerCertificateValidationCallback);
        Assert.Equal("Invalid configuration: Mongo:TlsCaCertificate is set but the MongoDB connection string does not ask for TLS (add tls=true).",
            Assert.Throws<InvalidOperationException>(() => StoresExtensions.MongoSettings(MongoUrl.Create("mongodb://mongo/fl"), options, configuration)).Message);
    }
}
