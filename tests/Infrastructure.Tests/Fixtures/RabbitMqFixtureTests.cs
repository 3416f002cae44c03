using System.Net.Sockets;
using FlMicroservices.Testing;

namespace FlMicroservices.Infrastructure.Tests.Fixtures;

[Collection(RabbitMqFixture.Collection)]
public sealed class RabbitMqFixtureTests(RabbitMqFixture rabbit, ITestOutputHelper output)
{
    [Fact]
    public async Task The_broker_answers_the_amqp_protocol_header_with_connection_start()
    {
        output.WriteLine($"RabbitMQ: {rabbit.Server.Description} at {rabbit.ConnectionString}");
        var url = new Uri(rabbit.ConnectionString);
        Assert.Equal("amqp", url.Scheme);

        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(url.Host, url.Port, timeout.Token);
        var stream = client.GetStream();
        await stream.WriteAsync("AMQP\0\0\x09\x01"u8.ToArray(), timeout.Token);
        var header = new byte[11];
        await stream.ReadExactlyAsync(header, timeout.Token);

        // Frame type 1 (method) on channel 0, then class 10 (connection) method 10 (start), version 0-9.
        Assert.Equal(1, header[0]);
        Assert.Equal(0, header[1] << 8 | header[2]);
        Assert.Equal(10, header[7] << 8 | header[8]);
        Assert.Equal(10, header[9] << 8 | header[10]);
    }
}
