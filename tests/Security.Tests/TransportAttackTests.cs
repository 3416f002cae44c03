using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit.Abstractions;

namespace FlMicroservices.Security.Tests;

/// <summary>
/// A network attacker's way in: plain AMQP to the deployment's broker, which speaks only AMQPS (every process of the deployment
/// connects over TLS and checks the broker's certificate against the deployment's CA).
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class TransportAttackTests(AttackedDeployment target, ITestOutputHelper output)
{
    [Fact]
    public async Task Plaintext_AMQP_with_a_nodes_credentials_is_refused_by_the_TLS_only_broker_and_the_broker_logs_it()
    {
        var attack = target.Ledger.Try("plaintext AMQP where the broker requires TLS");
        var broker = target.Deployment.TlsBroker ?? throw new InvalidOperationException("The attacked deployment has no TLS-only broker.");
        var (user, password) = target.NodeCredentials();
        await using (var overTls = await target.ConnectAsync(user, password)) Assert.True(overTls.IsOpen); // the credentials are good over TLS

        // The AMQP port: nothing listens there.
        var plainPort = new ConnectionFactory { HostName = "127.0.0.1", Port = broker.Port, UserName = user, Password = password };
        var closed = await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() => plainPort.CreateConnectionAsync());
        // Plain AMQP on the AMQPS port: the broker wants a TLS handshake, not the AMQP header.
        var before = TlsLines(broker).Length;
        var plainToTls = new ConnectionFactory
        {
            HostName = "127.0.0.1", Port = broker.TlsPort, UserName = user, Password = password,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(30), HandshakeContinuationTimeout = TimeSpan.FromSeconds(30),
        };
        var refused = await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() => plainToTls.CreateConnectionAsync());
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string[] recorded;
        while ((recorded = TlsLines(broker)[before..]).Length == 0 && DateTime.UtcNow < deadline) await Task.Delay(500);
        output.WriteLine($"plain port: {closed.InnerException?.Message ?? closed.Message}\nTLS port: {refused.InnerException?.Message ?? refused.Message}\nbroker log:\n{string.Join("\n", recorded)}");
        Assert.True(recorded.Length > 0, $"the broker logged no refused TLS handshake:\n{string.Join("\n", TlsLines(broker))}");
        attack.Blocked($"plain port closed ({closed.InnerException?.GetType().Name}); AMQP header on the AMQPS port refused, broker log: {recorded[0]}");
    }

    // The broker log's refused TLS handshakes ("TLS server: In state hello ... generated SERVER ALERT: Fatal - Unexpected Message").
    private static string[] TlsLines(FlMicroservices.Testing.LocalRabbitMqServer broker) =>
        Directory.EnumerateFiles(broker.LogDirectory, "*.log").Order(StringComparer.Ordinal).SelectMany(f => AttackedDeployment.ReadShared(f).Split('\n'))
            .Where(l => l.Contains("TLS server:", StringComparison.Ordinal) && l.Contains("ALERT", StringComparison.Ordinal))
            .Select(l => l[l.IndexOf("TLS server:", StringComparison.Ordinal)..].Trim())
            .ToArray();
}
