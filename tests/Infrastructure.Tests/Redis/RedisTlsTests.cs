using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Infrastructure.Stores;
using FlMicroservices.Infrastructure.Stores.Redis;
using FlMicroservices.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FlMicroservices.Infrastructure.Tests.Redis;

/// <summary>
/// The client-health store over TLS with a password, against a local redis-server that serves only TLS (certificates from a
/// private CA the test generates): the platform's settings connect; plaintext, a wrong password or an untrusted CA do not.
/// </summary>
public sealed class RedisTlsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Password = "s3cret-for-the-test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const string Quick = ",connectTimeout=2000,asyncTimeout=2000"; // each refused attempt gives up sooner
    private LocalRedisServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await LocalRedisServer.StartTlsAsync(Password);
        output.WriteLine($"{_server} (TLS only, password required)");
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    private string CaFile => Path.Combine(_server.Directory, "tls", "ca.pem");

    private static RedisClientHealthStore Store(string connectionString, string? ca)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Redis:KeyPrefix"] = "tls-test:",
            ["Redis:TlsCaCertificate"] = ca,
        }).Build();
        return new ServiceCollection().AddRedisClientHealthStore(connectionString, configuration).BuildServiceProvider().GetRequiredService<RedisClientHealthStore>();
    }

    [Fact]
    public async Task The_store_connects_over_TLS_with_the_password_and_the_private_CA_and_round_trips_a_record()
    {
        var store = Store(_server.ConnectionString, CaFile);
        var until = DateTime.UtcNow + Patience;
        while (!await store.PingAsync(CancellationToken.None))
        {
            Assert.True(DateTime.UtcNow < until, $"no TLS connection within {Patience.TotalSeconds} s; server log:\n{ProcessRunner.Tail(_server.LogPath)}");
            await Task.Delay(200);
        }
        var record = new ClientHealth("tls-client", ClientStatus.Healthy, DateTimeOffset.UtcNow, 10, 0.5, 1 << 20);
        await store.UpsertAsync(record, CancellationToken.None);
        Assert.Equal(record with { LastSeen = new DateTimeOffset(record.LastSeen.UtcTicks, TimeSpan.Zero) }, await store.GetAsync("tls-client", CancellationToken.None));
    }

    public static TheoryData<string> Refusals => ["plaintext", "wrong password", "untrusted CA"];

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_connection_that_is_not_TLS_with_the_password_and_a_trusted_certificate_never_gets_an_answer(string kind)
    {
        var (connection, ca, logged) = kind switch
        {
            "plaintext" => ($"127.0.0.1:{_server.Port},password={Password}{Quick}", (string?)null, "Error accepting a client connection"),
            "wrong password" => ($"127.0.0.1:{_server.Port},ssl=true,sslHost=localhost,password=guess{Quick}", CaFile, null),
            // The client refuses the server's certificate: whether the server logs anything depends on when the client's TLS
            // stack hangs up (during the handshake, or after it), so only the client's side is asserted.
            "untrusted CA" => (_server.ConnectionString + Quick, (string?)null, null),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var store = Store(connection, ca);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            Assert.False(await store.PingAsync(CancellationToken.None), $"{kind}: the server answered");
            await Task.Delay(500);
        }
        Assert.False(store.IsConnected, kind);
        if (logged is not null)
        {
            // The server records the refused handshake (plaintext: not a TLS record).
            var until = DateTime.UtcNow + Patience;
            while (!ProcessRunner.Tail(_server.LogPath).Contains(logged, StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < until, $"{kind}: the server log does not record the refused connection:\n{ProcessRunner.Tail(_server.LogPath)}");
                await Task.Delay(200);
            }
        }
        output.WriteLine($"{kind}: refused; server log tail:\n{ProcessRunner.Tail(_server.LogPath)}");
    }

    [Fact]
    public void A_CA_file_without_TLS_or_that_does_not_exist_is_a_configuration_error_naming_it()
    {
        var plain = Assert.Throws<InvalidOperationException>(() => Store("127.0.0.1:6379", "/tmp/ca.pem"));
        Assert.Equal("Invalid configuration: Redis:TlsCaCertificate is set but the Redis connection string does not ask for TLS (add ssl=true).", plain.Message);
        var missing = Assert.Throws<InvalidOperationException>(() => Store("127.0.0.1:6379,ssl=true", "/nonexistent/ca.pem"));
        Assert.Equal("Invalid configuration: Redis:TlsCaCertificate /nonexistent/ca.pem does not exist.", missing.Message);
    }
}
