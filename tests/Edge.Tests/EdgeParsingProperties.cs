using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Node.Edge;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace FlMicroservices.Edge.Tests;

/// <summary>
/// Property-based tests of the edge's request parsing: <see cref="Inputs"/> generated inputs per property against an edge over
/// HTTPS, each answered without a crash (no 5xx), every refusal a 4xx problem with a reason, recorded among the edge's refusals.
/// </summary>
public sealed class EdgeParsingProperties(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Generated inputs per property.</summary>
    public const int Inputs = 1_000;

    private const int MaxUploadBytes = 64 * 1024;
    private const int MaxMessageBytes = 64 * 1024;
    private const int SliceElements = 64;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fl-edge-fuzz-" + Guid.NewGuid().ToString("N"));
    private EdgeServer _edge = null!;
    private EdgeClient _node = null!;

    public async Task InitializeAsync()
    {
        _edge = await EdgeServer.StartAsync(_folder, new Dictionary<string, string?>
        {
            // Limits high enough that every generated input reaches the parsers (the limits have their own tests).
            ["Edge:RequestsPerSecond"] = "1000000", ["Edge:RequestBurst"] = "1000000",
            ["Edge:UploadsPerSecond"] = "1000000", ["Edge:UploadBurst"] = "1000000", ["Edge:EnrolmentsPerMinute"] = "1000000",
            ["Edge:MaxUploadBytes"] = MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Edge:MaxMessageBytes"] = MaxMessageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        _node = await _edge.EnrolAsync("n1", "n1-c0", "n1-c1");
        await EdgeRounds.OpenAsync(_edge, "fz", 1, ["n1-c0"], sliceElements: SliceElements);
        await EdgeRounds.OpenAsync(_edge, "fz-sa", 1, ["n1-c0"], PrivacyConfig.None with { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationClip = 0.05 },
            SliceElements);
    }

    public async Task DisposeAsync()
    {
        _node.Dispose();
        await _edge.DisposeAsync();
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private Enrolments Enrolments => _edge.Services.GetRequiredService<Enrolments>();

    [Fact]
    public void Enrolment_bodies_are_refused_with_a_recorded_reason()
    {
        var bodies = Gen.Frequency(
            (30, FuzzInputs.JsonBodies(random => new EnrolRequest("fle_" + FuzzInputs.Text(random), FuzzInputs.Text(random),
                Convert.ToBase64String(FuzzInputs.Bytes(random, 120)), [.. Enumerable.Range(0, random.Next(5)).Select(_ => FuzzInputs.Text(random))],
                Convert.ToBase64String(FuzzInputs.Bytes(random, 80))), validMayPass: false)),
            (1, Gen.Constant(new FuzzBody("over Edge:MaxMessageBytes", Encoding.UTF8.GetBytes($"{{\"token\":\"{new string('x', MaxMessageBytes)}\"}}"), true))));
        var counts = Run("enrolment bodies", bodies, body =>
        {
            using var content = Json(body.Body);
            using var response = _node.Anonymous.PostAsync(EdgeApi.Enrol.TrimStart('/'), content).GetAwaiter().GetResult();
            return Refused(body.ToString(), response, recorded: true); // no generated body holds a valid enrolment token
        });
        Assert.Equal(Inputs, counts.Refused);
    }

    [Fact]
    public void Node_token_headers_other_than_the_nodes_own_are_refused_with_a_reason()
    {
        var key = _node.Identity!.Key;
        var headers = Gen.Choose(0, 8).SelectMany(kind => FuzzInputs.Seed.Select(seed => TokenHeader(kind, new Random(seed), key)));
        var counts = Run("node-token headers", headers, header =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, EdgeApi.Heartbeat.TrimStart('/'))
            {
                Content = JsonContent(new ClientHeartbeat("n1-c0", 0.5, 1_000_000, DateTimeOffset.UtcNow)),
            };
            if (header.Value is not null) request.Headers.TryAddWithoutValidation("Authorization", header.Value);
            using var response = _node.Anonymous.SendAsync(request).GetAwaiter().GetResult();
            if (header.Valid)
            {
                Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"{header}: a valid token answered {(int)response.StatusCode}");
                return false;
            }
            Assert.Equal(401, (int)response.StatusCode);
            return Refused(header.ToString(), response, recorded: header.Value?.Trim().StartsWith(EdgeApi.Scheme + " ", StringComparison.Ordinal) == true); // HTTP trims a header's value

        });
        Assert.True(counts.Refused >= Inputs / 2, $"only {counts.Refused} of {Inputs} headers were refused");
    }

    [Fact]
    public void Upload_streams_are_taken_whole_or_refused_with_a_recorded_reason()
    {
        var uploads = FuzzInputs.Uploads("fz", 1, "n1-c0", SliceElements, MaxUploadBytes);
        var counts = Run("FLS1 upload streams", uploads, upload =>
        {
            using var content = new ByteArrayContent(upload.Body);
            content.Headers.ContentType = new MediaTypeHeaderValue(EdgeApi.SliceStreamContentType);
            using var response = _node.Http.PostAsync(EdgeApi.UploadPath("fz", 1, "n1-c0").TrimStart('/'), content).GetAwaiter().GetResult();
            if (upload.MustRefuse == true || (upload.MustRefuse is null && !response.IsSuccessStatusCode))
                return Refused(upload.ToString(), response, recorded: true);
            Assert.True(response.IsSuccessStatusCode, $"{upload}: a valid upload answered {(int)response.StatusCode} {Read(response)}");
            var receipt = JsonSerializer.Deserialize<UploadReceipt>(Read(response), EdgeJson.Options)!;
            if (upload.MustRefuse == false) Assert.Equal(upload.Slices, receipt.Slices);
            return false;
        });
        Assert.True(counts.Refused >= Inputs / 2, $"only {counts.Refused} of {Inputs} uploads were refused");
        Assert.True(counts.Accepted > 0, "no valid upload was generated");
    }

    [Fact]
    public void Message_bodies_are_forwarded_when_valid_and_otherwise_refused_with_a_recorded_reason()
    {
        (string Path, Func<Random, object> Valid)[] endpoints =
        [
            (EdgeApi.Register, r => new RegisterClient("n1-c0", new ClientCapabilities(1 + r.Next(1000), 1 + r.Next(16), 1L << 30, ["logreg"]))),
            (EdgeApi.Heartbeat, r => new ClientHeartbeat("n1-c1", r.NextDouble(), r.Next(), DateTimeOffset.UtcNow)),
            (EdgeApi.Manifest, r => FuzzInputs.Manifest(r, "fz", 1, "n1-c0")),
            (EdgeApi.MaskedManifest, r => new MaskedUpdateSubmitted("fz-sa", 1, "n1-c0", 1, SliceElements, "ab", FuzzInputs.Bytes(r, 64), 10, new LocalMetrics(0.1, 1, 2))),
            (EdgeApi.SecAgg, r => new SecAggClientMessage("fz-sa", 1, "n1-c0", [1, .. FuzzInputs.Bytes(r, 64)])),
        ];
        var bodies = Gen.Elements(endpoints).SelectMany(endpoint => FuzzInputs.JsonBodies(endpoint.Valid, validMayPass: true).Select(body => (endpoint.Path, Body: body)));
        var counts = Run("message bodies", bodies, input =>
        {
            using var content = Json(input.Body.Body);
            using var response = _node.Http.PostAsync(input.Path.TrimStart('/'), content).GetAwaiter().GetResult();
            var what = $"{input.Path}: {input.Body}";
            if (input.Body.MustRefuse == true || (input.Body.MustRefuse is null && !response.IsSuccessStatusCode)) return Refused(what, response, recorded: true);
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, $"{what}: answered {(int)response.StatusCode} {Read(response)}");
            return false;
        });
        Assert.True(counts.Refused >= Inputs / 4, $"only {counts.Refused} of {Inputs} bodies were refused");
        Assert.True(counts.Accepted > 0, "no valid body was generated");
    }

    // Runs the property over Inputs generated inputs (FsCheck); the property says whether the input was refused.
    private (int Refused, int Accepted) Run<T>(string name, Gen<T> inputs, Func<T, bool> refused)
    {
        var (count, refusals) = (0, 0);
        var before = Enrolments.Refusals.Count;
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Inputs), Prop.ForAll(Arb.From(inputs), (T input) =>
        {
            count++;
            if (refused(input)) refusals++;
        }));
        output.WriteLine($"{name}: {count} generated inputs, {refusals} refused with a reason (4xx), {count - refusals} accepted; " +
            $"{Enrolments.Refusals.Count - before} refusals recorded");
        Assert.Equal(Inputs, count);
        return (refusals, count - refusals);
    }

    // A 4xx problem document with a reason, no stack trace, and (where the edge records refusals) the same reason recorded last.
    private bool Refused(string what, HttpResponseMessage response, bool recorded)
    {
        var status = (int)response.StatusCode;
        var text = Read(response);
        Assert.True(status is >= 400 and < 500, $"{what}: answered {status} {text}");
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        string? detail;
        try { detail = JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString(); }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { detail = null; }
        Assert.False(string.IsNullOrWhiteSpace(detail), $"{what}: {status} without a reason: '{text}'");
        if (recorded) Assert.Equal(detail, Enrolments.Refusals[^1].Reason);
        return true;
    }

    private static string Read(HttpResponseMessage response) => response.Content.ReadAsStringAsync().GetAwaiter().GetResult();

    private static ByteArrayContent Json(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static ByteArrayContent JsonContent(object message) => Json(JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), EdgeJson.Options));

    /// <summary>An Authorization header value (null: none), and whether it is the node's own valid token.</summary>
    private sealed record Header(string Kind, string? Value, bool Valid)
    {
        public override string ToString() => $"{Kind}: '{(Value is { Length: > 120 } ? Value[..120] + "..." : Value)}'";
    }

    private static Header TokenHeader(int kind, Random random, ECDsa key)
    {
        var now = DateTimeOffset.UtcNow;
        var valid = NodeToken.Create(key, "n1", "fl-edge", now, TimeSpan.FromMinutes(2));
        string Flip(string token)
        {
            var chars = token.ToCharArray();
            const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
            for (var i = 1 + random.Next(3); i > 0; i--) chars[random.Next(chars.Length)] = alphabet[random.Next(alphabet.Length)];
            return new string(chars);
        }
        switch (kind)
        {
            case 0: return new Header("random text", EdgeApi.Scheme + " " + new string([.. Enumerable.Range(0, random.Next(300)).Select(_ => (char)random.Next(0x21, 0x7F))]), false);
            case 1:
                var flipped = Flip(valid);
                return new Header("flipped characters", EdgeApi.Scheme + " " + flipped, SameToken(flipped.Trim(), valid));
            case 2: return new Header("truncated", EdgeApi.Scheme + " " + valid[..random.Next(valid.Length)], false);
            case 3:
                using (var other = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                    return random.Next(2) == 0
                        ? new Header("an unenrolled node", EdgeApi.Scheme + " " + NodeToken.Create(other, "n9", "fl-edge", now, TimeSpan.FromMinutes(2)), false)
                        : new Header("another key", EdgeApi.Scheme + " " + NodeToken.Create(other, "n1", "fl-edge", now, TimeSpan.FromMinutes(2)), false);
            case 4:
                return random.Next(4) switch
                {
                    0 => new Header("expired", EdgeApi.Scheme + " " + NodeToken.Create(key, "n1", "fl-edge", now.AddHours(-2), TimeSpan.FromMinutes(2)), false),
                    1 => new Header("another audience", EdgeApi.Scheme + " " + NodeToken.Create(key, "n1", "other-edge", now, TimeSpan.FromMinutes(2)), false),
                    2 => new Header("too long a lifetime", EdgeApi.Scheme + " " + NodeToken.Create(key, "n1", "fl-edge", now, TimeSpan.FromDays(30)), false),
                    _ => new Header("issued in the future", EdgeApi.Scheme + " " + NodeToken.Create(key, "n1", "fl-edge", now.AddHours(1), TimeSpan.FromMinutes(2)), false),
                };
            case 5:
                using (var other = ECDsa.Create(ECCurve.NamedCurves.nistP256))
                {
                    var foreign = NodeToken.Create(other, "n1", "fl-edge", now, TimeSpan.FromMinutes(2));
                    return new Header("claims with a foreign signature", EdgeApi.Scheme + " " + valid[..valid.IndexOf('.', StringComparison.Ordinal)] + foreign[foreign.IndexOf('.', StringComparison.Ordinal)..], false);
                }
            case 6:
                return random.Next(5) switch
                {
                    0 => new Header("no header", null, false),
                    1 => new Header("a bearer token", "Bearer " + valid, false),
                    2 => new Header("basic", "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("n1:secret")), false),
                    3 => new Header("scheme without a space", EdgeApi.Scheme + valid, false),
                    _ => new Header("token without a scheme", valid, false),
                };
            case 7: return new Header("over 2048 characters", EdgeApi.Scheme + " " + valid + new string('A', 2100), false);
            default: return new Header("valid", EdgeApi.Scheme + " " + valid, true);
        }
    }

    // Whether a changed token still carries the same claims and signature bytes (base64url has no single spelling of its last character).
    private static bool SameToken(string changed, string valid)
    {
        var parts = changed.Split('.');
        var expected = valid.Split('.');
        if (parts.Length != 2) return false;
        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(parts[0]).AsSpan().SequenceEqual(System.Buffers.Text.Base64Url.DecodeFromChars(expected[0]))
                && System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]).AsSpan().SequenceEqual(System.Buffers.Text.Base64Url.DecodeFromChars(expected[1]));
        }
        catch (FormatException) { return false; }
    }
}
