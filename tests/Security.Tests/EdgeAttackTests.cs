using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Node.Edge;
using Xunit.Abstractions;

namespace FlMicroservices.Security.Tests;

/// <summary>
/// Attacks on the edge for nodes outside the cluster (docs/edge.md), a live edge process of the attacked deployment with its own
/// broker user (fl-edge): a node that never enrolled, an expired and a revoked identity, and an upload past Edge:MaxUploadBytes.
/// Each is answered with the reason, and the edge's stored refusals (GET /api/edge/refusals) hold it.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class EdgeAttackTests(AttackedDeployment target, ITestOutputHelper output)
{
    private const string Edge = "Edge";
    private static readonly TimeSpan RecordedWithin = TimeSpan.FromSeconds(30);

    private string KeyFile => target.OperatorKeyFile;

    // The initial model of the secure task, read through the edge's download proxy: what an enrolled node may do.
    private string ModelInfo => $"v1/models/{target.SecureTaskId}/versions/0/info";

    private string IdentityPath(string nodeId) => Path.Combine(target.Deployment.Root, "edge-nodes", nodeId + ".json");

    [Fact]
    public async Task A_node_that_never_enrolled_is_refused_at_enrolment_and_on_every_signed_request_and_the_edge_records_both()
    {
        var attack = target.Ledger.Try("edge: a node without enrolment (made-up enrolment token; requests signed by an unenrolled key)");
        var edge = await target.EdgeAsync(Edge);
        using var node = edge.Connect();
        var madeUp = "fle_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var enrol = await Assert.ThrowsAsync<EdgeRequestException>(() =>
            EdgeSession.EnrolAsync(node, madeUp, "mallory-node", ["mallory-c0"], IdentityPath("mallory-node"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, enrol.Status);
        Assert.Contains("the enrolment token is not one this edge issued", enrol.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(IdentityPath("mallory-node")));

        // A key pair of its own and an identity file it wrote itself: every token it signs names a node the edge never enrolled.
        node.Identity = EdgeIdentity.Save(IdentityPath("mallory-self"), EdgeIdentity.NewKey(), "mallory-node", "fl-edge", ["node-1-c000"]);
        using var read = await node.Http.GetAsync(ModelInfo);
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
        Assert.Contains("node 'mallory-node' is not enrolled at this edge", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var beat = await node.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), new ClientHeartbeat("node-1-c000", 0.1, 1 << 30, DateTimeOffset.UtcNow), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, beat.StatusCode);

        var atEnrolment = await edge.RefusalAsync(KeyFile, r => r.NodeId == "mallory-node" && r.Reason.Contains("not one this edge issued", StringComparison.Ordinal), RecordedWithin);
        var onRequest = await edge.RefusalAsync(KeyFile, r => r.Reason == "node 'mallory-node' is not enrolled at this edge" && r.Request.StartsWith("GET /v1/models/", StringComparison.Ordinal), RecordedWithin);
        Assert.True(atEnrolment is not null, $"the edge recorded no refusal of the made-up token:\n{edge.Process.Tail(20)}");
        Assert.True(onRequest is not null, $"the edge recorded no refusal of the unenrolled node's request:\n{edge.Process.Tail(20)}");
        output.WriteLine($"enrol: {atEnrolment}\nsigned request: {onRequest}");
        attack.Blocked($"401 and edge refusals: enrol \"{atEnrolment}\"; signed requests \"{onRequest}\"");
    }

    [Fact]
    public async Task A_node_whose_identity_expired_is_refused_with_the_expiry_and_the_edge_records_it()
    {
        var attack = target.Ledger.Try("edge: an expired node identity");
        // An edge whose identities last 3 s (Edge:IdentityLifetime); the deployment's other edge keeps the default.
        var edge = await target.EdgeAsync("Edge-short-lived", new Dictionary<string, string> { ["Edge__IdentityLifetime"] = "00:00:03" });
        using var node = edge.Connect();
        node.Identity = await EdgeSession.EnrolAsync(node, await edge.IssueTokenAsync(KeyFile), "edge-expiring", ["edge-expiring-c0"], IdentityPath("edge-expiring"),
            CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpStatusCode status;
        string body;
        do
        {
            using var read = await node.Http.GetAsync(ModelInfo);
            (status, body) = (read.StatusCode, await read.Content.ReadAsStringAsync());
            if (status == HttpStatusCode.Unauthorized) break;
            Assert.Equal(HttpStatusCode.OK, status); // until it expires, the identity works
            await Task.Delay(500);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("node 'edge-expiring''s identity expired at", body, StringComparison.Ordinal);
        await BlockedByRefusalAsync(attack, edge, "edge-expiring", "identity expired at");
    }

    [Fact]
    public async Task A_revoked_node_is_refused_with_the_operators_reason_and_the_edge_records_it()
    {
        var attack = target.Ledger.Try("edge: a revoked node identity");
        var edge = await target.EdgeAsync(Edge);
        using var node = edge.Connect();
        node.Identity = await EdgeSession.EnrolAsync(node, await edge.IssueTokenAsync(KeyFile), "edge-revoked", ["edge-revoked-c0"], IdentityPath("edge-revoked"),
            CancellationToken.None);
        using (var before = await node.Http.GetAsync(ModelInfo)) Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        const string Why = "key leaked (security suite)";
        using (var revoke = await edge.OperatorAsync(HttpMethod.Post, "/api/edge/nodes/edge-revoked/revoke", KeyFile, body: new { reason = Why }))
            Assert.True(revoke.StatusCode == HttpStatusCode.NoContent, $"{(int)revoke.StatusCode} {await revoke.Content.ReadAsStringAsync()}");

        using var after = await node.Http.GetAsync(ModelInfo);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        var body = await after.Content.ReadAsStringAsync();
        Assert.Contains("node 'edge-revoked' was revoked at", body, StringComparison.Ordinal);
        Assert.Contains(Why, body, StringComparison.Ordinal);
        await BlockedByRefusalAsync(attack, edge, "edge-revoked", Why);
    }

    [Fact]
    public async Task An_upload_past_the_edges_size_cap_is_refused_with_413_announced_or_streamed_and_the_edge_records_it()
    {
        var attack = target.Ledger.Try("edge: an oversize upload (announced, and streamed without a length)");
        var edge = await target.EdgeAsync(Edge);
        using var node = edge.Connect();
        const string NodeId = "edge-mallory";
        const string Client = NodeId + "-c0";
        node.Identity = await EdgeSession.EnrolAsync(node, await edge.IssueTokenAsync(KeyFile), NodeId, [Client], IdentityPath(NodeId), CancellationToken.None);

        // The node's client registers through the edge with a data set only a task of its own asks for ([61] features), so no other
        // attack's round selects it; that task's round opens at the edge with the client as its one participant.
        var dataset = new ClientDataset("edge-attack", [61], 10, 10);
        await node.PostJsonAsync(EdgeApi.Register, new RegisterClient(Client, new ClientCapabilities(10, 2, 1 << 30, ["logreg"], [dataset], 0.1)), CancellationToken.None);
        await target.WaitAsync(o => o.Of<ClientRegistered>().Any(c => c.ClientId == Client), $"{Client} registered through the edge", 60);
        using var beating = new CancellationTokenSource();
        var heartbeats = BeatAsync(node, Client, beating.Token);
        var taskId = $"oversize-{Guid.NewGuid():N}"[..20];
        var spec = AttackedDeployment.SecureSpec(rounds: 1) with
        {
            Privacy = PrivacyConfig.None, SampleShape = dataset.SampleShape, Dataset = dataset.Name, MinClientsPerRound = 1, SliceElements = UpdateSliceCodec.MaxElements,
        };
        RoundStarted started;
        try
        {
            await target.Observer.PublishAsync(new CreateTask(taskId, spec));
            await target.WaitAsync(o => o.Of<RoundStarted>().Any(r => r.TaskId == taskId), $"round 1 of {taskId}", 180);
            started = target.Observer.Of<RoundStarted>().First(r => r.TaskId == taskId);
        }
        finally
        {
            await beating.CancelAsync();
            await heartbeats;
        }
        Assert.Equal([Client], started.Participants);

        // Against a cap of 1 MiB: first a body that announces more (refused before it is read), then five full slices (5 x 256 KiB)
        // streamed without a length (refused as the total passes the cap).
        var path = EdgeApi.UploadPath(taskId, 1, Client).TrimStart('/');
        var deadline = DateTime.UtcNow.AddSeconds(60);
        HttpStatusCode status;
        string announced;
        do // the edge sees the round start on its own queue, maybe a moment after the observer
        {
            using var response = await node.Http.PostAsync(path, new ByteArrayContent(new byte[AttackedDeployment.EdgeUploadCap + 1]));
            (status, announced) = (response.StatusCode, await response.Content.ReadAsStringAsync());
            if (!announced.Contains("has not started at this edge", StringComparison.Ordinal)) break;
            await Task.Delay(500);
        } while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains($"over Edge:MaxUploadBytes ({AttackedDeployment.EdgeUploadCap} bytes)", announced, StringComparison.Ordinal);

        var slices = UpdateSliceCodec.Slice(taskId, 1, Client, new float[5 * UpdateSliceCodec.MaxElements], 10, UpdateSliceCodec.MaxElements);
        var uploads = new EdgeUploads(node);
        var streamed = await Assert.ThrowsAsync<EdgeRequestException>(async () =>
        {
            foreach (var slice in slices) await uploads.ProduceAsync(slice, CancellationToken.None);
            await uploads.CompleteAsync(taskId, 1, Client, CancellationToken.None);
        });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.Status);
        Assert.Contains($"exceeds Edge:MaxUploadBytes ({AttackedDeployment.EdgeUploadCap} bytes)", streamed.Message, StringComparison.Ordinal);

        var recordedAnnounced = await edge.RefusalAsync(KeyFile, r => r.NodeId == NodeId && r.Reason.Contains("bytes, over Edge:MaxUploadBytes", StringComparison.Ordinal), RecordedWithin);
        var recordedStreamed = await edge.RefusalAsync(KeyFile, r => r.NodeId == NodeId && r.Reason.Contains("exceeds Edge:MaxUploadBytes", StringComparison.Ordinal), RecordedWithin);
        Assert.True(recordedAnnounced is not null && recordedStreamed is not null, $"the edge did not record both oversize uploads:\n{edge.Process.Tail(20)}");
        Assert.DoesNotContain(target.Observer.Of<UpdateSubmitted>(), u => u.TaskId == taskId);
        Assert.False(edge.Process.HasExited);
        output.WriteLine($"{recordedAnnounced}\n{recordedStreamed}");
        attack.Blocked($"413 and edge refusals: \"{recordedAnnounced}\"; streamed: \"{recordedStreamed}\"");
    }

    // The attack failed with a 401 once the edge's stored refusals hold one of the node's requests whose reason holds the text.
    private async Task BlockedByRefusalAsync(AttackLedger.Attempt attack, LiveEdge edge, string nodeId, string reason)
    {
        var recorded = await edge.RefusalAsync(KeyFile, r => r.NodeId == nodeId && r.Reason.Contains(reason, StringComparison.Ordinal), RecordedWithin);
        Assert.True(recorded is not null, $"the edge recorded no refusal of {nodeId} with '{reason}':\n{edge.Process.Tail(20)}");
        output.WriteLine(recorded);
        attack.Blocked($"401 and edge refusal: {recorded}");
    }

    // Heartbeats through the edge every second, so the client stays healthy until its round is chosen.
    private static async Task BeatAsync(EdgeClient node, string clientId, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await node.PostJsonAsync(EdgeApi.Heartbeat, new ClientHeartbeat(clientId, 0.1, 1 << 30, DateTimeOffset.UtcNow), cancellationToken);
                await Task.Delay(1000, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
    }
}
