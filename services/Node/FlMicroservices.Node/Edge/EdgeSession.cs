using System.Net.Http.Json;
using System.Text.Json;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Node.Edge;

/// <summary>Enrols the node at start (once, with the operator's token), then listens to the edge's push channel and hands round
/// assignments and secure-aggregation messages to the node's local bus; reconnects after a break.</summary>
public sealed class EdgeSession(EdgeClient edge, EdgeNodeOptions options, string identityPath, string nodeId, IReadOnlyList<string> clientIds,
    IBus bus, ILogger<EdgeSession> logger) : BackgroundService
{
    private readonly HashSet<(string Task, int Round)> _seen = [];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        edge.Identity = await IdentityAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stoppingToken);
                pause = TimeSpan.FromSeconds(1);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is HttpRequestException or IOException or EdgeRequestException or JsonException)
            {
                logger.LogWarning("Edge push channel at {Edge} lost ({Error}); reconnecting in {Pause}", edge.Edge, e.Message, pause);
            }
            await Task.Delay(pause, stoppingToken);
            pause = TimeSpan.FromSeconds(Math.Min(30, pause.TotalSeconds * 2));
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, EdgeApi.Events.TrimStart('/'));
        using var response = await edge.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EdgeClient.EnsureSuccessAsync(response, "the push channel", cancellationToken);
        logger.LogInformation("Node {Node} connected to the edge at {Edge} (HTTP/{Version})", nodeId, edge.Edge, response.Version);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        await foreach (var (name, data) in PushEventReader.ReadAsync(reader, cancellationToken))
            await DispatchAsync(name, data, cancellationToken);
    }

    // A round assignment sent again after a reconnect is not run twice; an event that cannot be read is skipped with its reason.
    private async Task DispatchAsync(string name, string data, CancellationToken cancellationToken)
    {
        switch (PushEventReader.Parse(name, data, out var problem))
        {
            case RoundStarted round:
                if (_seen.Add((round.TaskId, round.Round))) await bus.Publish(round, cancellationToken);
                break;
            case SecAggServerMessage message:
                await bus.Publish(message, cancellationToken);
                break;
            default:
                if (problem is not null) logger.LogWarning("Edge event {Name} skipped: {Problem}", name, problem);
                else logger.LogDebug("Edge event {Name} ignored", name);
                break;
        }
    }

    private async Task<EdgeIdentity> IdentityAsync(CancellationToken cancellationToken)
    {
        if (EdgeIdentity.Load(identityPath) is { } known)
        {
            if (known.NodeId != nodeId)
                throw new InvalidOperationException($"Invalid configuration: the edge identity in {identityPath} is node '{known.NodeId}', not '{nodeId}'.");
            if (clientIds.FirstOrDefault(c => !known.ClientIds.Contains(c)) is { } missing)
                throw new InvalidOperationException($"Invalid configuration: client '{missing}' is not among the {known.ClientIds.Count} clients node '{nodeId}' enrolled; enrol again with a new token (delete {identityPath}).");
            logger.LogInformation("Node {Node} uses its edge identity from {Path}", nodeId, identityPath);
            return known;
        }
        if (string.IsNullOrWhiteSpace(options.EnrolToken))
            throw new InvalidOperationException($"Invalid configuration: node '{nodeId}' has no edge identity in {identityPath}; its first run needs an enrolment token (--enrol-token / Node:EnrolToken).");
        EdgeIdentity identity;
        try { identity = await EnrolAsync(edge, options.EnrolToken, nodeId, clientIds, identityPath, cancellationToken); }
        catch (EdgeRequestException e) { throw new InvalidOperationException($"Invalid configuration: {e.Message}", e); }
        logger.LogInformation("Node {Node} enrolled at {Edge} for {Count} client(s); identity kept in {Path}", nodeId, edge.Edge, identity.ClientIds.Count, identityPath);
        return identity;
    }

    /// <summary>Enrols with a new key pair and the operator's token, and saves the identity the edge accepted in <paramref name="identityPath"/>.</summary>
    /// <exception cref="EdgeRequestException">The edge refused the enrolment; the message carries its reason.</exception>
    public static async Task<EdgeIdentity> EnrolAsync(EdgeClient edge, string token, string nodeId, IReadOnlyList<string> clientIds, string identityPath,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edge);
        var key = EdgeIdentity.NewKey();
        var request = new EnrolRequest(token, nodeId, Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), [.. clientIds], EdgeClient.Proof(key, token, nodeId));
        using var response = await edge.Anonymous.PostAsJsonAsync(EdgeApi.Enrol.TrimStart('/'), request, EdgeJson.Options, cancellationToken);
        await EdgeClient.EnsureSuccessAsync(response, "the enrolment", cancellationToken);
        var enrolled = (await response.Content.ReadFromJsonAsync<EnrolResponse>(EdgeJson.Options, cancellationToken))!;
        return EdgeIdentity.Save(identityPath, key, enrolled.NodeId, enrolled.Audience, enrolled.ClientIds);
    }
}
