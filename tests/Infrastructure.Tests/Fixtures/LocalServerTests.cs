using System.Net.Sockets;
using FlMicroservices.Testing;

namespace FlMicroservices.Infrastructure.Tests.Fixtures;

/// <summary>The throwaway servers from the Debian packages leave nothing behind: no process, no folder.</summary>
public sealed class LocalServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_local_redis_server_answers_and_disposal_removes_it()
    {
        var server = await LocalRedisServer.StartAsync();
        var pidFile = Path.Combine(server.Directory, "redis.pid");
        var pid = int.Parse(await File.ReadAllTextAsync(pidFile));
        output.WriteLine($"{server} pid {pid}");
        Assert.Equal($"127.0.0.1:{server.Port}", server.ConnectionString);
        Assert.StartsWith("7.", server.Version);
        Assert.True(ProcessRunner.IsAlive(pid));
        Assert.True(await Listens(server.Port));

        await server.DisposeAsync();

        Assert.False(ProcessRunner.IsAlive(pid));
        Assert.False(Directory.Exists(server.Directory));
        Assert.False(await Listens(server.Port));
        await server.DisposeAsync(); // a second disposal is harmless
    }

    [Fact]
    public async Task A_local_rabbitmq_node_stops_with_its_own_epmd_and_no_other()
    {
        await using var other = await LocalRedisServer.StartAsync(); // something else running that must survive
        var server = await LocalRabbitMqServer.StartAsync();
        var beam = int.Parse((await File.ReadAllTextAsync(server.PidFile)).Trim());
        output.WriteLine($"{server}: node {server.NodeName}, beam pid {beam}, epmd port {server.EpmdPort}");
        Assert.StartsWith("local rabbitmq-server 3.", server.ToString());
        Assert.True(await Listens(server.Port));
        Assert.True(await Listens(server.EpmdPort));

        await server.DisposeAsync();

        Assert.False(ProcessRunner.IsAlive(beam));
        Assert.False(await Listens(server.Port));
        Assert.False(await Listens(server.EpmdPort));
        Assert.False(Directory.Exists(server.Directory));
        Assert.True(await Listens(other.Port));
    }

    [Fact]
    public void The_mongo_skip_reason_matches_what_is_available()
    {
        var hasUrl = !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ServerFixtures.MongoUrlVariable));
        if (hasUrl || ServerFixtures.DockerAvailable)
        {
            Assert.Null(ServerFixtures.MongoUnavailableReason);
        }
        else
        {
            Assert.Equal("no FL_MONGO_URL and no Docker engine: MongoDB server tests skipped", ServerFixtures.MongoUnavailableReason);
            Assert.Equal("MongoDB server tests skipped: set FL_MONGO_URL or provide a Docker engine", new MongoFactAttribute().Skip);
        }
    }

    private static async Task<bool> Listens(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
