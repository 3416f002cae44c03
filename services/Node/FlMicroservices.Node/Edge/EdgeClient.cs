using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using FlMicroservices.Contracts.Edge;

namespace FlMicroservices.Node.Edge;

/// <summary>The node's HTTPS connection to the edge (HTTP/2 where the edge offers it), signing a short-lived token for each request.</summary>
public sealed class EdgeClient : IDisposable
{
    private readonly SocketsHttpHandler _transport;
    private readonly TokenHandler _signed;
    private readonly EdgeNodeOptions _options;

    public EdgeClient(EdgeNodeOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _transport = new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2), EnableMultipleHttp2Connections = true };
        if (options.EdgeCaFile is { Length: > 0 } ca) _transport.SslOptions.RemoteCertificateValidationCallback = TrustOnly(ca);
        _signed = new TokenHandler(this, clock) { InnerHandler = _transport };
        Http = Create(_signed, options.Edge);
        Models = Create(_signed, new Uri(options.Edge, EdgeApi.ModelsBase.TrimStart('/')));
        Anonymous = Create(_transport, options.Edge);
    }

    /// <summary>Requests signed with the node's identity, relative to the edge's root.</summary>
    public HttpClient Http { get; }

    /// <summary>Signed requests relative to the model download proxy (for <see cref="Infrastructure.Models.ModelRegistryClient"/>).</summary>
    public HttpClient Models { get; }

    /// <summary>Unsigned requests (enrolment only).</summary>
    public HttpClient Anonymous { get; }

    /// <summary>The identity the node signs with; set once enrolled.</summary>
    public EdgeIdentity? Identity { get; set; }

    public Uri Edge => _options.Edge;

    /// <summary>Posts <paramref name="message"/> as JSON; throws <see cref="EdgeRequestException"/> with the edge's reason when refused.</summary>
    public async Task PostJsonAsync<T>(string path, T message, CancellationToken cancellationToken)
    {
        using var response = await Http.PostAsJsonAsync(path.TrimStart('/'), message, EdgeJson.Options, cancellationToken);
        await EnsureSuccessAsync(response, path, cancellationToken);
    }

    /// <summary>Throws <see cref="EdgeRequestException"/> naming the edge's reason when <paramref name="response"/> is not a success.</summary>
    public static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.IsSuccessStatusCode) return;
        throw new EdgeRequestException(response.StatusCode, $"edge refused {what}: {(int)response.StatusCode} {await ReasonAsync(response, cancellationToken)}");
    }

    public void Dispose()
    {
        Http.Dispose();
        Models.Dispose();
        Anonymous.Dispose();
        _signed.Dispose();
        _transport.Dispose();
    }

    private static HttpClient Create(HttpMessageHandler handler, Uri baseAddress) => new(handler, disposeHandler: false)
    {
        BaseAddress = baseAddress,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        Timeout = Timeout.InfiniteTimeSpan, // uploads and the event stream last; callers bound their own calls
    };

    private static async Task<string> ReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.TryGetProperty("detail", out var detail) && detail.GetString() is { } text) return text;
        }
        catch (JsonException) { }
        return body.Length > 300 ? body[..300] : body;
    }

    private static X509Certificate2Collection LoadCa(string path)
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(path);
        if (roots.Count == 0) throw new InvalidOperationException($"Invalid configuration: Node:EdgeCaFile '{path}' holds no certificate.");
        return roots;
    }

    /// <summary>A TLS check that trusts only certificates chaining to the authorities in <paramref name="caFile"/> (PEM), for the host they name.</summary>
    public static RemoteCertificateValidationCallback TrustOnly(string caFile)
    {
        var roots = LoadCa(caFile);
        return (_, certificate, _, errors) => Chains(roots, certificate, errors);
    }

    private static bool Chains(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    // Adds "Authorization: FlNode <token>", signing a new token when the last is past half its life.
    private sealed class TokenHandler(EdgeClient owner, TimeProvider clock) : DelegatingHandler
    {
        private readonly Lock _lock = new();
        private (string Token, DateTimeOffset Renew)? _current;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var identity = owner.Identity ?? throw new InvalidOperationException("The node has no identity at the edge yet (not enrolled).");
            request.Headers.Authorization = new AuthenticationHeaderValue(EdgeApi.Scheme, TokenFor(identity));
            return base.SendAsync(request, cancellationToken);
        }

        private string TokenFor(EdgeIdentity identity)
        {
            var now = clock.GetUtcNow();
            lock (_lock)
            {
                if (_current is { } current && current.Renew > now) return current.Token;
                var lifetime = owner._options.EdgeTokenLifetime;
                var token = NodeToken.Create(identity.Key, identity.NodeId, identity.Audience, now, lifetime);
                _current = (token, now + lifetime / 2);
                return token;
            }
        }
    }

    /// <summary>Signs the enrolment proof: the token and node id, with the node's new private key.</summary>
    public static string Proof(ECDsa key, string token, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(NodeToken.EnrolmentProofText(token, nodeId)),
            HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }
}

/// <summary>The edge refused a request; the message carries its reason.</summary>
public sealed class EdgeRequestException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>True when trying again may succeed (rate limited, server error).</summary>
    public bool IsTransient => Status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)Status >= 500;
}
