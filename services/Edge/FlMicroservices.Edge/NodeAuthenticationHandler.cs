using System.Security.Claims;
using System.Text.Encodings.Web;
using FlMicroservices.Contracts.Edge;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Edge;

/// <summary>Authenticates a node by its short-lived token (Authorization: FlNode ...), signed with the key it enrolled.</summary>
public sealed class NodeAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions, ILoggerFactory logger, UrlEncoder encoder,
    Enrolments enrolments, IOptions<EdgeOptions> edge, TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "edge-node";
    public const string Policy = "edge-node";
    private const string ReasonItem = "edge-node-refusal";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Another scheme (an operator's bearer token) or none is not this handler's to judge; the challenge names what a node must send.
        string header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(EdgeApi.Scheme + " ", StringComparison.Ordinal)) return AuthenticateResult.NoResult();
        var text = header[(EdgeApi.Scheme.Length + 1)..].Trim();
        if (NodeToken.Parse(text, out var malformed) is not { } token) return await FailAsync(null, malformed!);
        if (enrolments.Node(token.NodeId) is not { } node) return await FailAsync(null, $"node '{token.NodeId}' is not enrolled at this edge");
        var now = clock.GetUtcNow();
        if (node.Problem(now) is { } unusable) return await FailAsync(node.NodeId, unusable);
        if (!NodeToken.VerifySignature(text, enrolments.KeyOf(node))) return await FailAsync(node.NodeId, $"the token's signature does not verify under node '{node.NodeId}''s enrolled key");
        if (token.Problem(edge.Value.Audience, now, edge.Value.MaxTokenLifetime, edge.Value.ClockSkew) is { } invalid) return await FailAsync(node.NodeId, invalid);
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, node.NodeId), new Claim(ClaimTypes.NameIdentifier, node.NodeId)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var reason = Context.Items[ReasonItem] as string
            ?? $"no node token: send 'Authorization: {EdgeApi.Scheme} <token>' signed with the node's enrolled key";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = EdgeApi.Scheme;
        await EdgeProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "authorization", reason);
    }

    private async Task<AuthenticateResult> FailAsync(string? nodeId, string reason)
    {
        Context.Items[ReasonItem] = reason;
        await enrolments.RecordRefusalAsync(nodeId, $"{Request.Method} {Request.Path}", reason, Context.RequestAborted);
        return AuthenticateResult.Fail(reason);
    }
}
