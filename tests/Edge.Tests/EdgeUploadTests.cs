using System.Net;
using System.Net.Http.Json;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Infrastructure.UpdateStream;
using FlMicroservices.Node.Edge;
using FlMicroservices.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Edge.Tests;

/// <summary>Uploads through the edge: slices reach the update stream; what is too large, too frequent, foreign or malformed is refused with a reason.</summary>
public sealed class EdgeUploadTests : IAsyncDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fl-edge-up-" + Guid.NewGuid().ToString("N"));
    private EdgeServer? _edge;

    public async ValueTask DisposeAsync()
    {
        if (_edge is not null) await _edge.DisposeAsync();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private async Task<EdgeServer> StartAsync(Dictionary<string, string?>? settings = null) => _edge = await EdgeServer.StartAsync(_folder, settings);

    private static IEnumerable<UpdateSlice> Update(string taskId, int round, string clientId, int elements, int sliceElements = 256) =>
        UpdateSliceCodec.Slice(taskId, round, clientId, Enumerable.Range(0, elements).Select(i => i * 0.001f).ToArray(), 10, sliceElements);

    private static Task<HttpResponseMessage> PostAsync(EdgeClient node, string taskId, int round, string clientId, byte[] body) =>
        node.Http.PostAsync(EdgeApi.UploadPath(taskId, round, clientId).TrimStart('/'), new ByteArrayContent(body));

    [Fact]
    public async Task A_streamed_update_reaches_the_update_stream_slice_by_slice()
    {
        var edge = await StartAsync();
        using var node = await edge.EnrolAsync("n1", "n1-c0");
        await EdgeRounds.OpenAsync(edge, "t", 1, ["n1-c0"]);
        var uploads = new EdgeUploads(node);
        foreach (var slice in Update("t", 1, "n1-c0", 1000)) await uploads.ProduceAsync(slice, CancellationToken.None);
        var receipt = await uploads.CompleteAsync("t", 1, "n1-c0", CancellationToken.None);
        Assert.Equal(4, receipt!.Slices);

        await using var consumer = edge.Services.GetRequiredService<IUpdateStreamConsumerFactory>().Create("test");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var read = new List<UpdateSlice>();
        await foreach (var record in consumer.ConsumeAsync(timeout.Token))
        {
            read.Add(UpdateSliceCodec.Decode(record.Value));
            if (read.Count == 4) break;
        }
        Assert.Equal([0, 1, 2, 3], read.Select(s => s.SliceIndex).Order());
        Assert.All(read, s => Assert.Equal("n1-c0", s.ClientId));
        Assert.Equal(1000, read.Sum(s => s.ElementCount));
    }

    [Fact]
    public async Task An_upload_over_the_size_cap_is_refused_with_413_and_the_reason()
    {
        var edge = await StartAsync(new() { ["Edge:MaxUploadBytes"] = "4096" });
        using var node = await edge.EnrolAsync("n1", "n1-c0");
        await EdgeRounds.OpenAsync(edge, "t", 1, ["n1-c0"]);
        using var response = await PostAsync(node, "t", 1, "n1-c0", EdgeRounds.Frames(Update("t", 1, "n1-c0", 3000)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("over Edge:MaxUploadBytes (4096 bytes)", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Streamed without a length, the cap ends the upload as it passes it.
        var uploads = new EdgeUploads(node);
        var refused = await Assert.ThrowsAsync<EdgeRequestException>(async () =>
        {
            foreach (var slice in Update("t", 1, "n1-c0", 3000)) await uploads.ProduceAsync(slice, CancellationToken.None);
            await uploads.CompleteAsync("t", 1, "n1-c0", CancellationToken.None);
        });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.Status);
        Assert.Contains("exceeds Edge:MaxUploadBytes (4096 bytes)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Uploads_past_the_nodes_rate_are_refused_with_429()
    {
        var edge = await StartAsync(new() { ["Edge:UploadsPerSecond"] = "0.01", ["Edge:UploadBurst"] = "2" });
        using var node = await edge.EnrolAsync("n1", "n1-c0");
        using var other = await edge.EnrolAsync("n2", "n2-c0");
        await EdgeRounds.OpenAsync(edge, "t", 1, ["n1-c0", "n2-c0"]);
        var body = EdgeRounds.Frames(Update("t", 1, "n1-c0", 100));
        using var first = await PostAsync(node, "t", 1, "n1-c0", body);
        using var second = await PostAsync(node, "t", 1, "n1-c0", body);
        using var third = await PostAsync(node, "t", 1, "n1-c0", body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.True(third.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Contains("node n1 exceeded the edge's uploads rate limit", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var another = await PostAsync(other, "t", 1, "n2-c0", EdgeRounds.Frames(Update("t", 1, "n2-c0", 100)));
        Assert.Equal(HttpStatusCode.OK, another.StatusCode); // each node has its own bucket
    }

    [Fact]
    public async Task Slices_of_another_client_round_or_a_broken_frame_are_refused_with_400()
    {
        var edge = await StartAsync();
        using var node = await edge.EnrolAsync("n1", "n1-c0", "n1-c1");
        await EdgeRounds.OpenAsync(edge, "t", 1, ["n1-c0", "n1-c1"]);
        using var foreign = await PostAsync(node, "t", 1, "n1-c0", EdgeRounds.Frames(Update("t", 1, "n1-c1", 100)));
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.Contains("is a slice of task 't' round 1 client 'n1-c1', not of the upload's task 't' round 1 client 'n1-c0'",
            await foreign.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var broken = EdgeRounds.Frames(Update("t", 1, "n1-c0", 100));
        broken[^1] ^= 0xff; // the payload no longer matches its CRC
        using var corrupt = await PostAsync(node, "t", 1, "n1-c0", broken);
        Assert.Equal(HttpStatusCode.BadRequest, corrupt.StatusCode);
        Assert.Contains("payload checksum mismatch", await corrupt.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var huge = await PostAsync(node, "t", 1, "n1-c0", [0xff, 0xff, 0xff, 0x7f]);
        Assert.Contains("frame 0 announces 2147483647 bytes", await huge.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var unknown = await PostAsync(node, "t", 9, "n1-c0", EdgeRounds.Frames(Update("t", 9, "n1-c0", 100)));
        Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
        Assert.Contains("round 9 of task 't' has not started at this edge", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Manifests_with_hostile_numbers_are_refused_before_the_bus()
    {
        var edge = await StartAsync();
        using var node = await edge.EnrolAsync("n1", "n1-c0");
        await EdgeRounds.OpenAsync(edge, "t", 1, ["n1-c0"]);
        var manifest = new UpdateSubmitted("t", 1, "n1-c0", 10, 1, 100, "abc", null, new LocalMetrics(0.5, 1, 3));
        using var nan = await node.Http.PostAsync(EdgeApi.Manifest.TrimStart('/'),
            new StringContent("""{"taskId":"t","round":1,"clientId":"n1-c0","exampleCount":10,"sliceCount":1,"elementCount":100,"digest":"abc","metrics":{"trainLoss":"NaN","trainSeconds":1,"steps":3}}""",
                System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, nan.StatusCode);
        using var negative = await node.Http.PostAsJsonAsync(EdgeApi.Manifest.TrimStart('/'), manifest with { SliceCount = -1 }, EdgeJson.Options);
        Assert.Equal(HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Contains("sliceCount and elementCount must be positive", await negative.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var accepted = await node.Http.PostAsJsonAsync(EdgeApi.Manifest.TrimStart('/'), manifest, EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }

    [Fact]
    public async Task An_expired_identity_is_refused_until_the_node_enrols_again()
    {
        var edge = await StartAsync(new() { ["Edge:IdentityLifetime"] = "00:00:02" });
        using var node = await edge.EnrolAsync("n1", "n1-c0");
        var beat = new ClientHeartbeat("n1-c0", 0.1, 1, DateTimeOffset.UtcNow);
        string? reason = null;
        await Eventually.TrueAsync(() =>
        {
            using var response = node.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), beat, EdgeJson.Options).GetAwaiter().GetResult();
            if (response.StatusCode != HttpStatusCode.Unauthorized) return false;
            reason = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            return true;
        }, TimeSpan.FromSeconds(60), "the identity to expire");
        Assert.Contains("node 'n1''s identity expired at", reason, StringComparison.Ordinal);
        using var renewed = await edge.EnrolAsync("n1", "n1-c0"); // an expired identity may enrol again with a new token
        using var accepted = await renewed.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), beat, EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }
}
