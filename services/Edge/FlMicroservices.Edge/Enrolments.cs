using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FlMicroservices.Contracts;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Infrastructure.State;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Edge;

/// <summary>The edge's durable identities: enrolment tokens (hashed), enrolled nodes with their keys and clients, and refusals.</summary>
public sealed class Enrolments(IStateStore store, IOptions<EdgeOptions> options, TimeProvider clock, ILogger<Enrolments> logger) : RestoredState
{
    private const string TokenKind = "enrolment-token";
    private const string NodeKind = "node";
    private const string RefusalKind = "refusal";
    private const int MaxRefusalsKept = 10_000;
    private readonly ConcurrentDictionary<string, EnrolmentTokenRecord> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, NodeIdentity> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ECDsa> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<EdgeRefusal> _refusals = new();
    private readonly SemaphoreSlim _write = new(1, 1);
    private long _refusalSequence;

    public override string Name => "edge enrolments";

    /// <summary>A new one-time token admitting a node with up to <paramref name="clients"/> clients; the text is returned once.</summary>
    public async Task<EnrolmentTokenIssued> IssueAsync(int clients, TimeSpan? lifetime, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        var token = "fle_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var record = new EnrolmentTokenRecord("et-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), Hash(token), clients, now,
            now + (lifetime ?? options.Value.EnrolmentTokenLifetime));
        await PutTokenAsync(record, cancellationToken);
        logger.LogInformation("Enrolment token {Id} issued for {Clients} client(s), valid until {Expires:u}", record.Id, clients, record.ExpiresAt);
        return new EnrolmentTokenIssued(record.Id, token, clients, record.ExpiresAt);
    }

    /// <summary>Revokes an unused token; false when no token has that id.</summary>
    public async Task<bool> RevokeTokenAsync(string id, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        if (!_tokens.TryGetValue(id, out var record)) return false;
        if (record.RevokedAt is null) await PutTokenAsync(record with { RevokedAt = clock.GetUtcNow() }, cancellationToken);
        return true;
    }

    /// <summary>Every token issued, without their texts.</summary>
    public IReadOnlyList<EnrolmentTokenRecord> Tokens
    {
        get { EnsureRestored(); return [.. _tokens.Values.OrderBy(t => t.IssuedAt)]; }
    }

    /// <summary>Every node enrolled, revoked ones included.</summary>
    public IReadOnlyList<NodeIdentity> Nodes
    {
        get { EnsureRestored(); return [.. _nodes.Values.OrderBy(n => n.NodeId, StringComparer.Ordinal)]; }
    }

    /// <summary>The latest refusals, newest last.</summary>
    public IReadOnlyList<EdgeRefusal> Refusals
    {
        get { EnsureRestored(); return [.. _refusals]; }
    }

    /// <summary>Enrols a node: the token must be known, unused, unrevoked and unexpired, the key P-256 and proven, the clients free.</summary>
    public async Task<EnrolmentOutcome> EnrolAsync(EnrolRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await RestoreAsync(cancellationToken);
        await _write.WaitAsync(cancellationToken);
        try
        {
            var outcome = Check(request, clock.GetUtcNow());
            if (outcome.Problem is not null)
            {
                await RecordRefusalAsync(Identifiers.IsValid(request.NodeId) ? request.NodeId : null, "enrol", outcome.Problem, cancellationToken);
                return outcome;
            }
            var identity = outcome.Identity!;
            var token = _tokens.Values.First(t => t.Id == identity.TokenId);
            await PutTokenAsync(token with { UsedBy = identity.NodeId, UsedAt = identity.EnrolledAt }, cancellationToken);
            await PutNodeAsync(identity, cancellationToken);
            logger.LogInformation("Node {Node} enrolled with token {Token} for {Count} client(s), until {Expires:u}", identity.NodeId, identity.TokenId,
                identity.ClientIds.Length, identity.ExpiresAt);
            return outcome;
        }
        finally { _write.Release(); }
    }

    /// <summary>Revokes a node's identity with <paramref name="reason"/>; false when no node has that id.</summary>
    public async Task<bool> RevokeNodeAsync(string nodeId, string reason, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        await _write.WaitAsync(cancellationToken);
        try
        {
            if (!_nodes.TryGetValue(nodeId, out var node)) return false;
            if (node.RevokedAt is null) await PutNodeAsync(node with { RevokedAt = clock.GetUtcNow(), RevokedReason = reason }, cancellationToken);
            logger.LogWarning("Node {Node} revoked: {Reason}", nodeId, reason);
            return true;
        }
        finally { _write.Release(); }
    }

    /// <summary>The identity enrolled under <paramref name="nodeId"/>, or null.</summary>
    public NodeIdentity? Node(string nodeId)
    {
        EnsureRestored();
        return _nodes.GetValueOrDefault(nodeId);
    }

    /// <summary>The node that enrolled <paramref name="clientId"/> and is not revoked, or null.</summary>
    public string? OwnerOf(string clientId)
    {
        EnsureRestored();
        return _owners.GetValueOrDefault(clientId);
    }

    /// <summary>The node's public key, parsed once.</summary>
    public ECDsa KeyOf(NodeIdentity node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return _keys.GetOrAdd(node.NodeId + "/" + node.PublicKey, _ => ParseKey(node.PublicKey, out string? _) ?? throw new InvalidDataException($"node {node.NodeId}: its stored key does not parse"));
    }

    /// <summary>Records a refusal durably (the latest 10,000 are kept) and in the log.</summary>
    public async Task RecordRefusalAsync(string? nodeId, string request, string reason, CancellationToken cancellationToken)
    {
        var refusal = new EdgeRefusal(clock.GetUtcNow(), nodeId, request, reason);
        logger.LogWarning("Edge refused {Request} from {Node}: {Reason}", request, nodeId ?? "(unknown)", reason);
        _refusals.Enqueue(refusal);
        while (_refusals.Count > MaxRefusalsKept) _refusals.TryDequeue(out _);
        var sequence = Interlocked.Increment(ref _refusalSequence) % MaxRefusalsKept; // a ring of keys bounds the store
        await store.PutAsync(RefusalKind, sequence.ToString("D5", CultureInfo.InvariantCulture), refusal, cancellationToken);
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        foreach (var token in await store.ListAsync<EnrolmentTokenRecord>(TokenKind, cancellationToken)) _tokens[token.Id] = token;
        foreach (var node in await store.ListAsync<NodeIdentity>(NodeKind, cancellationToken)) Index(node);
        var refusals = await store.ListAsync<EdgeRefusal>(RefusalKind, cancellationToken);
        foreach (var refusal in refusals.OrderBy(r => r.At)) _refusals.Enqueue(refusal);
        _refusalSequence = refusals.Count;
    }

    private EnrolmentOutcome Check(EnrolRequest request, DateTimeOffset now)
    {
        var hash = Hash(request.Token ?? "");
        var token = _tokens.Values.FirstOrDefault(t => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(t.Hash), Encoding.ASCII.GetBytes(hash)));
        if (token is null) return Refused(StatusCodes.Status401Unauthorized, "the enrolment token is not one this edge issued");
        if (token.RevokedAt is { } revoked) return Refused(StatusCodes.Status401Unauthorized, $"enrolment token {token.Id} was revoked at {revoked:u}");
        if (token.UsedBy is { } user) return Refused(StatusCodes.Status401Unauthorized, $"enrolment token {token.Id} was already used by node '{user}' at {token.UsedAt:u}");
        if (token.ExpiresAt <= now) return Refused(StatusCodes.Status401Unauthorized, $"enrolment token {token.Id} expired at {token.ExpiresAt:u}");
        if (!Identifiers.IsValid(request.NodeId)) return Refused(StatusCodes.Status400BadRequest, $"nodeId '{request.NodeId}' is not valid: {Identifiers.Rule}", "nodeId");
        if (_nodes.TryGetValue(request.NodeId, out var existing) && existing.Problem(now) is null)
            return Refused(StatusCodes.Status409Conflict, $"node '{request.NodeId}' is already enrolled; revoke it first to enrol it again", "nodeId");
        var clients = request.ClientIds ?? [];
        if (clients.Length < 1 || clients.Length > token.Clients)
            return Refused(StatusCodes.Status400BadRequest, $"{clients.Length} client ids given; enrolment token {token.Id} admits 1 to {token.Clients}", "clientIds");
        if (clients.FirstOrDefault(c => !Identifiers.IsValid(c)) is { } bad) return Refused(StatusCodes.Status400BadRequest, $"client id '{bad}' is not valid: {Identifiers.Rule}", "clientIds");
        if (clients.Distinct(StringComparer.Ordinal).Count() != clients.Length) return Refused(StatusCodes.Status400BadRequest, "client ids repeat", "clientIds");
        if (clients.FirstOrDefault(c => _owners.TryGetValue(c, out var owner) && owner != request.NodeId) is { } taken)
            return Refused(StatusCodes.Status409Conflict, $"client '{taken}' is enrolled by node '{_owners[taken]}'", "clientIds");
        using var key = ParseKey(request.PublicKey, out var keyProblem);
        if (key is null) return Refused(StatusCodes.Status400BadRequest, keyProblem!, "publicKey");
        if (!VerifyProof(key, request)) return Refused(StatusCodes.Status401Unauthorized, "the proof does not verify under the public key given: the node must sign the token with its private key", "proof");
        return new EnrolmentOutcome(new NodeIdentity(request.NodeId, request.PublicKey!, clients, token.Id, now, now + options.Value.IdentityLifetime), StatusCodes.Status200OK, null);
    }

    private static EnrolmentOutcome Refused(int status, string problem, string field = "token") => new(null, status, problem, field);

    private static bool VerifyProof(ECDsa key, EnrolRequest request)
    {
        try
        {
            return key.VerifyData(Encoding.UTF8.GetBytes(NodeToken.EnrolmentProofText(request.Token, request.NodeId)), Convert.FromBase64String(request.Proof ?? ""),
                HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }
        catch (FormatException) { return false; }
    }

    private static ECDsa? ParseKey(string? publicKey, out string? problem)
    {
        problem = null;
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKey ?? ""), out _);
            if (key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            {
                problem = "publicKey is not an ECDSA P-256 key";
                key.Dispose();
                return null;
            }
            return key;
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            problem = "publicKey is not a base64 SubjectPublicKeyInfo of an ECDSA key";
            key.Dispose();
            return null;
        }
    }

    private async Task PutTokenAsync(EnrolmentTokenRecord record, CancellationToken cancellationToken)
    {
        await store.PutAsync(TokenKind, record.Id, record, cancellationToken);
        _tokens[record.Id] = record;
    }

    private async Task PutNodeAsync(NodeIdentity node, CancellationToken cancellationToken)
    {
        await store.PutAsync(NodeKind, node.NodeId, node, cancellationToken);
        Index(node);
    }

    private void Index(NodeIdentity node)
    {
        if (_nodes.TryGetValue(node.NodeId, out var earlier))
            foreach (var client in earlier.ClientIds) _owners.TryRemove(new KeyValuePair<string, string>(client, node.NodeId));
        _nodes[node.NodeId] = node;
        if (node.RevokedAt is null)
            foreach (var client in node.ClientIds) _owners[client] = node.NodeId;
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
