using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Node.Edge;
using FlMicroservices.ServiceDefaults.Api;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Edge.Tests;

/// <summary>Enrolment with one-time tokens, node tokens checked against the enrolled key, revocation, expiry, durability and the operators' audit log.</summary>
public sealed class EdgeEnrolmentTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fl-edge-" + Guid.NewGuid().ToString("N"));
    private EdgeServer _edge = null!;

    public async Task InitializeAsync() => _edge = await EdgeServer.StartAsync(_folder);

    public async Task DisposeAsync()
    {
        await _edge.DisposeAsync();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static ClientHeartbeat Beat(string clientId) => new(clientId, 0.25, 1_000_000, DateTimeOffset.UtcNow);

    private Enrolments Enrolments => _edge.Services.GetRequiredService<Enrolments>();

    [Fact]
    public async Task A_node_enrols_once_and_then_signs_its_requests_over_HTTP2_and_TLS()
    {
        using var node = await _edge.EnrolAsync("n1", "n1-c0", "n1-c1");
        Assert.Equal("n1", node.Identity!.NodeId);
        Assert.Equal(["n1-c0", "n1-c1"], node.Identity.ClientIds);
        using var response = await node.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), Beat("n1-c0"), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        var stored = Assert.Single(Enrolments.Nodes);
        Assert.Equal(["n1-c0", "n1-c1"], stored.ClientIds);
        Assert.Null(stored.RevokedAt);
        Assert.Equal("n1", Enrolments.OwnerOf("n1-c1"));
        Assert.All(Enrolments.Tokens, t => Assert.Equal(64, t.Hash.Length)); // only the SHA-256 is kept
    }

    [Fact]
    public async Task A_token_is_used_once()
    {
        var token = await _edge.IssueTokenAsync();
        using var first = _edge.Client();
        await EdgeSession.EnrolAsync(first, token, "n1", ["n1-c0"], Path.Combine(_folder, "a.json"), CancellationToken.None);
        using var second = _edge.Client();
        var refused = await Assert.ThrowsAsync<EdgeRequestException>(() =>
            EdgeSession.EnrolAsync(second, token, "n2", ["n2-c0"], Path.Combine(_folder, "b.json"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Contains("was already used by node 'n1'", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, "b.json")));
        Assert.Contains(Enrolments.Refusals, r => r.NodeId == "n2" && r.Reason.Contains("already used", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var token = await _edge.IssueTokenAsync(lifetime: TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        using var node = _edge.Client();
        var refused = await Assert.ThrowsAsync<EdgeRequestException>(() =>
            EdgeSession.EnrolAsync(node, token, "n1", ["n1-c0"], Path.Combine(_folder, "a.json"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Contains("expired at", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoked_token_is_refused()
    {
        var issued = await Enrolments.IssueAsync(1, null, CancellationToken.None);
        Assert.True(await Enrolments.RevokeTokenAsync(issued.Id, CancellationToken.None));
        using var node = _edge.Client();
        var refused = await Assert.ThrowsAsync<EdgeRequestException>(() =>
            EdgeSession.EnrolAsync(node, issued.Token, "n1", ["n1-c0"], Path.Combine(_folder, "a.json"), CancellationToken.None));
        Assert.Contains($"enrolment token {issued.Id} was revoked", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_admits_no_more_clients_than_it_names_and_no_client_of_another_node()
    {
        using var first = await _edge.EnrolAsync("n1", "shared-c0");
        using var node = _edge.Client();
        var tooMany = await Assert.ThrowsAsync<EdgeRequestException>(async () =>
            await EdgeSession.EnrolAsync(node, await _edge.IssueTokenAsync(1), "n2", ["n2-c0", "n2-c1"], Path.Combine(_folder, "b.json"), CancellationToken.None));
        Assert.Contains("2 client ids given; enrolment token", tooMany.Message, StringComparison.Ordinal);
        var taken = await Assert.ThrowsAsync<EdgeRequestException>(async () =>
            await EdgeSession.EnrolAsync(node, await _edge.IssueTokenAsync(1), "n2", ["shared-c0"], Path.Combine(_folder, "b.json"), CancellationToken.None));
        Assert.Equal(HttpStatusCode.Conflict, taken.Status);
        Assert.Contains("client 'shared-c0' is enrolled by node 'n1'", taken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_enrolment_without_proof_of_the_key_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = await _edge.IssueTokenAsync(1);
        using var node = _edge.Client();
        var request = new EnrolRequest(token, "n1", Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), ["n1-c0"], EdgeClient.Proof(other, token, "n1"));
        using var response = await node.Anonymous.PostAsJsonAsync(EdgeApi.Enrol.TrimStart('/'), request, EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("the proof does not verify", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(Enrolments.Nodes);
    }

    [Fact]
    public async Task An_unenrolled_node_and_a_request_without_a_token_are_refused_with_a_reason()
    {
        using var stranger = _edge.Client();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        stranger.Identity = EdgeIdentity.Save(Path.Combine(_folder, "stranger.json"), key, "stranger", "fl-edge", ["stranger-c0"]);
        using var unenrolled = await stranger.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), Beat("stranger-c0"), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, unenrolled.StatusCode);
        Assert.Contains("node 'stranger' is not enrolled at this edge", await unenrolled.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var anonymous = await stranger.Anonymous.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), Beat("stranger-c0"), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var body = await anonymous.Content.ReadAsStringAsync();
        Assert.Contains("no node token: send 'Authorization: FlNode <token>'", body, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", body, StringComparison.Ordinal); // a reason, never a stack trace
    }

    [Fact]
    public async Task Operators_call_the_edge_with_a_bearer_token_of_a_role_that_may_and_nodes_cannot_use_one()
    {
        using var connection = _edge.Client();
        var http = connection.Anonymous;
        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body = null)
        {
            using var request = new HttpRequestMessage(method, path.TrimStart('/'));
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (body is not null) request.Content = JsonContent.Create(body, options: EdgeJson.Options);
            return await http.SendAsync(request);
        }

        using var anonymous = await SendAsync(HttpMethod.Post, "/api/edge/enrolment-tokens", null, new EnrolmentTokenRequest(2, null));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("needs a bearer token", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var auditor = await SendAsync(HttpMethod.Post, "/api/edge/enrolment-tokens", EdgeServer.OperatorToken(OperatorRoles.Auditor, "audrey"), new EnrolmentTokenRequest(2, null));
        Assert.Equal(HttpStatusCode.Forbidden, auditor.StatusCode);
        Assert.Contains("caller 'audrey' (role auditor) may not call POST /api/edge/enrolment-tokens", await auditor.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(Enrolments.Tokens);

        using var issued = await SendAsync(HttpMethod.Post, "/api/edge/enrolment-tokens", EdgeServer.OperatorToken(OperatorRoles.DataScientist), new EnrolmentTokenRequest(2, null));
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var token = (await issued.Content.ReadFromJsonAsync<EnrolmentTokenIssued>(EdgeJson.Options))!;
        using var node = _edge.Client();
        node.Identity = await EdgeSession.EnrolAsync(node, token.Token, "n1", ["n1-c0", "n1-c1"], Path.Combine(_folder, "n1.json"), CancellationToken.None);
        using var listed = await SendAsync(HttpMethod.Get, "/api/edge/nodes", EdgeServer.OperatorToken(OperatorRoles.Auditor));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Contains("\"n1\"", await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // An operator's token is not a node's: the node endpoints answer with the node scheme's challenge.
        using var asNode = await SendAsync(HttpMethod.Post, EdgeApi.Heartbeat, EdgeServer.OperatorToken(OperatorRoles.Admin), Beat("n1-c0"));
        Assert.Equal(HttpStatusCode.Unauthorized, asNode.StatusCode);
        Assert.Equal(EdgeApi.Scheme, Assert.Single(asNode.Headers.WwwAuthenticate).Scheme);
        Assert.Contains("no node token: send 'Authorization: FlNode <token>'", await asNode.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        using var node = await _edge.EnrolAsync("n1", "n1-c0");
        using var thief = _edge.Client();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        thief.Identity = EdgeIdentity.Save(Path.Combine(_folder, "thief.json"), key, "n1", "fl-edge", ["n1-c0"]);
        using var response = await thief.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), Beat("n1-c0"), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("signature does not verify under node 'n1''s enrolled key", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(Enrolments.Refusals, r => r.NodeId == "n1" && r.Reason.Contains("signature", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_node_cannot_speak_for_a_client_of_another_node()
    {
        using var a = await _edge.EnrolAsync("na", "na-c0");
        using var b = await _edge.EnrolAsync("nb", "nb-c0");
        using var response = await b.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), Beat("na-c0"), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("client 'na-c0' is not enrolled by node 'nb'", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var register = await b.Http.PostAsJsonAsync(EdgeApi.Register.TrimStart('/'),
            new RegisterClient("na-c0", new ClientCapabilities(10, 1, 1, ["logreg"])), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Forbidden, register.StatusCode);
    }

    [Fact]
    public async Task A_revoked_node_is_refused_and_the_refusal_is_recorded()
    {
        using var node = await _edge.EnrolAsync("n1", "n1-c0");
        Assert.True(await Enrolments.RevokeNodeAsync("n1", "laptop stolen", CancellationToken.None));
        using var response = await node.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), Beat("n1-c0"), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("node 'n1' was revoked at", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(Enrolments.Refusals, r => r.NodeId == "n1" && r.Reason.Contains("laptop stolen", StringComparison.Ordinal));
        Assert.Null(Enrolments.OwnerOf("n1-c0")); // its clients are free for a new enrolment
    }

    [Fact]
    public async Task Identities_and_revocations_survive_an_edge_restart()
    {
        using var kept = await _edge.EnrolAsync("kept", "kept-c0");
        using var revoked = await _edge.EnrolAsync("gone", "gone-c0");
        Assert.True(await Enrolments.RevokeNodeAsync("gone", "left the consortium", CancellationToken.None));
        await _edge.DisposeAsync();
        _edge = await EdgeServer.StartAsync(_folder);
        using var again = _edge.Client();
        again.Identity = EdgeIdentity.Load(kept.Identity!.Path);
        using var accepted = await again.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), Beat("kept-c0"), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        using var gone = _edge.Client();
        gone.Identity = EdgeIdentity.Load(revoked.Identity!.Path);
        using var refused = await gone.Http.PostAsJsonAsync(EdgeApi.Heartbeat.TrimStart('/'), Beat("gone-c0"), EdgeJson.Options);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("left the consortium", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> OperatorCallAsync(HttpMethod method, string path, string role, string name, object? body = null)
    {
        using var connection = _edge.Client();
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", EdgeServer.OperatorToken(role, name));
        if (body is not null) request.Content = JsonContent.Create(body, options: EdgeJson.Options);
        var response = await connection.Anonymous.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    // Operators' calls to /api/edge go into the audit log the gateway keeps and serves (GET /api/audit): the same store and entries.
    [Fact]
    public async Task Issuing_revoking_and_refused_calls_are_audited_with_caller_action_target_and_outcome_and_reads_are_not()
    {
        using var issued = await OperatorCallAsync(HttpMethod.Post, "/api/edge/enrolment-tokens", OperatorRoles.DataScientist, "dana", new EnrolmentTokenRequest(1));
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var token = (await issued.Content.ReadFromJsonAsync<EnrolmentTokenIssued>(EdgeJson.Options))!;
        using var spare = await OperatorCallAsync(HttpMethod.Post, "/api/edge/enrolment-tokens", OperatorRoles.Admin, "olivia", new EnrolmentTokenRequest(2));
        var spareId = (await spare.Content.ReadFromJsonAsync<EnrolmentTokenIssued>(EdgeJson.Options))!.Id;
        using (var node = _edge.Client())
            await EdgeSession.EnrolAsync(node, token.Token, "n1", ["n1-c0"], Path.Combine(_folder, "n1.json"), CancellationToken.None);

        using var refused = await OperatorCallAsync(HttpMethod.Post, "/api/edge/enrolment-tokens", OperatorRoles.Auditor, "audrey", new EnrolmentTokenRequest(1));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var listed = await OperatorCallAsync(HttpMethod.Get, "/api/edge/nodes", OperatorRoles.Auditor, "audrey");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        using var revoked = await OperatorCallAsync(HttpMethod.Post, "/api/edge/nodes/n1/revoke", OperatorRoles.Admin, "olivia", new { reason = "left the study" });
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        using var withdrawn = await OperatorCallAsync(HttpMethod.Delete, $"/api/edge/enrolment-tokens/{spareId}", OperatorRoles.Admin, "olivia");
        Assert.Equal(HttpStatusCode.NoContent, withdrawn.StatusCode);
        using var unknown = await OperatorCallAsync(HttpMethod.Post, "/api/edge/nodes/ghost/revoke", OperatorRoles.Admin, "olivia", new { reason = "typo" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        // Read back as the gateway reads it: the store named AuditLog.Store in the state folder, newest first.
        using var store = new SqliteStateStore(Path.Combine(_folder, "state", AuditLog.Store + ".db"));
        var entries = (await new AuditLog(store).ListAsync(CancellationToken.None)).Reverse().ToArray();
        string Show(AuditEntry e) => $"{e.Caller} ({e.Roles}) {e.Action} {e.Target}: {e.Status} {e.Outcome}";
        Assert.Equal(
        [
            "dana (data-scientist) POST /api/edge/enrolment-tokens -: 201 done",
            "olivia (admin) POST /api/edge/enrolment-tokens -: 201 done",
            "audrey (auditor) POST /api/edge/enrolment-tokens -: 403 refused",
            "olivia (admin) POST /api/edge/nodes/{nodeId}/revoke node=n1: 204 done",
            $"olivia (admin) DELETE /api/edge/enrolment-tokens/{{tokenId}} token={spareId}: 204 done",
            "olivia (admin) POST /api/edge/nodes/{nodeId}/revoke node=ghost: 404 rejected",
        ], entries.Select(Show));
        Assert.All(entries, e => Assert.StartsWith("/api/edge/", e.Path, StringComparison.Ordinal)); // the node's enrolment (/v1/enrol) is not an operator call
    }
}
