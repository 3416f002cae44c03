using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Distributed.Tests;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.Node.Edge;

namespace FlMicroservices.Security.Tests;

/// <summary>An edge process of the attacked deployment: its address, the CA its certificate chains to, and the operator calls the attacks need.</summary>
public sealed record LiveEdge(ServiceProcess Process, Uri Address, string CaCertificate)
{
    /// <summary>A node's connection to this edge (what `fl node --edge --edge-ca` makes), without an identity yet.</summary>
    public EdgeClient Connect() => new(new EdgeNodeOptions { EdgeUrl = Address.ToString(), EdgeCaFile = CaCertificate }, TimeProvider.System);

    /// <summary>Waits until GET /health/ready answers 200 over HTTPS.</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var connection = Connect();
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            if (Process.HasExited) throw new InvalidOperationException($"{Process.Name} exited; its log:\n{Process.Tail()}");
            try
            {
                using var response = await connection.Anonymous.GetAsync("health/ready");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException e) { last = e.Message; }
            catch (TaskCanceledException e) { last = e.Message; }
            await Task.Delay(250);
        }
        throw new TimeoutException($"{Process.Name} was not ready within {timeout.TotalSeconds} s (last: {last}); its log:\n{Process.Tail()}");
    }

    /// <summary>An operator's call to the edge's operator API (/api/edge) with a token of <paramref name="role"/> from the deployment's issuer.</summary>
    public async Task<HttpResponseMessage> OperatorAsync(HttpMethod method, string path, string operatorKeyFile, string role = OperatorRoles.Admin, object? body = null)
    {
        using var connection = Connect();
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer",
            DevelopmentIssuer.Mint(DevelopmentIssuer.LoadOrCreateKey(operatorKeyFile), "security-suite", role, TimeSpan.FromMinutes(10)));
        if (body is not null) request.Content = JsonContent.Create(body, options: EdgeJson.Options);
        var response = await connection.Anonymous.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>A one-time enrolment token for <paramref name="clients"/> clients, issued through POST /api/edge/enrolment-tokens.</summary>
    public async Task<string> IssueTokenAsync(string operatorKeyFile, int clients = 1)
    {
        using var response = await OperatorAsync(HttpMethod.Post, "/api/edge/enrolment-tokens", operatorKeyFile, body: new EnrolmentTokenRequest(clients));
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"issuing an enrolment token: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<EnrolmentTokenIssued>(EdgeJson.Options))!.Token;
    }

    /// <summary>The refusals the edge recorded (GET /api/edge/refusals, read as an auditor): node, request and reason of each.</summary>
    public async Task<IReadOnlyList<(string? NodeId, string Request, string Reason)>> RefusalsAsync(string operatorKeyFile)
    {
        using var response = await OperatorAsync(HttpMethod.Get, "/api/edge/refusals?limit=10000", operatorKeyFile, OperatorRoles.Auditor);
        response.EnsureSuccessStatusCode();
        var items = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. items.EnumerateArray().Select(r => (
            r.TryGetProperty("nodeId", out var node) && node.ValueKind == JsonValueKind.String ? node.GetString() : null,
            r.GetProperty("request").GetString()!, r.GetProperty("reason").GetString()!))];
    }

    /// <summary>Waits until the edge has recorded a refusal matching <paramref name="match"/>; its reason, or null by the deadline.</summary>
    public async Task<string?> RefusalAsync(string operatorKeyFile, Func<(string? NodeId, string Request, string Reason), bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        do
        {
            if ((await RefusalsAsync(operatorKeyFile)).FirstOrDefault(match) is { Reason: not null } found) return found.Reason;
            await Task.Delay(300);
        } while (DateTime.UtcNow < deadline);
        return null;
    }
}
