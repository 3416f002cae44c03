using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.ServiceDefaults;
using FlMicroservices.ServiceDefaults.Api;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static FlMicroservices.ServiceDefaults.Api.OperatorPolicies;

namespace FlMicroservices.Api.Tests;

/// <summary>Every operator endpoint of every host against every kind of caller: no token, a bad one, an expired one, and each role.</summary>
public sealed class OperatorAuthTests : IDisposable
{
    // The policy each operator endpoint must carry. An /api endpoint missing here fails the matrix: give it a policy, then a row.
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["ListModelVersions"] = Read, ["GetModelVersion"] = Read, ["CompareModelVersions"] = Read, ["ExportModelVersion"] = Read,
        ["PromoteModelVersion"] = Operate, ["RollBackModel"] = Operate,
        ["CreateTask"] = Operate, ["ListClients"] = Read,
        ["ListTasks"] = Read, ["GetTask"] = Read, ["ListRounds"] = Read, ["GetRound"] = Read,
        ["CancelTask"] = Operate, ["PauseTask"] = Operate, ["ResumeTask"] = Operate,
        ["ListRewardBalances"] = Read, ["GetClientRewards"] = Read, ["ListTaskRewards"] = Read,
        ["GetTaskPrivacy"] = Read, ["ListClientPrivacy"] = Read,
        ["ListAuditEntries"] = Audit,
        ["ListEnrolmentTokens"] = Read, ["ListEdgeNodes"] = Read, ["ListEdgeRefusals"] = Read,
        ["IssueEnrolmentToken"] = Operate, ["RevokeEnrolmentToken"] = Operate, ["RevokeEdgeNode"] = Operate,
    };

    private readonly string _home = Directory.CreateTempSubdirectory("fl-auth-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string> Hosts => ["registry", "selector", "model-registry", "reward", "privacy-accounting", "gateway", "edge"];

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task Every_operator_endpoint_answers_each_caller_as_its_policy_says(string host)
    {
        await using var factory = Start(host);
        var endpoints = OperatorEndpoints(factory.Services);
        Assert.NotEmpty(endpoints);
        (string Who, string? Token, string? Role)[] callers =
        [
            ("no token", null, null),
            ("a token signed with another key", DevelopmentIssuer.Mint(RandomNumberGenerator.GetBytes(32), "mallory", OperatorRoles.Admin, TimeSpan.FromMinutes(5)), null),
            ("an expired admin token", DevelopmentIssuer.Mint(TestAuth.Key, "old", OperatorRoles.Admin, TimeSpan.FromMinutes(5), now: DateTimeOffset.UtcNow.AddHours(-1)), null),
            ("a token for another audience", DevelopmentIssuer.Mint(TestAuth.Key, "other", OperatorRoles.Admin, TimeSpan.FromMinutes(5), audience: "another-api"), null),
            ("a token without an operator role", TestAuth.Token("guest"), "guest"),
            .. OperatorRoles.All.Select(role => ($"role {role}", (string?)TestAuth.Token(role), (string?)role)),
        ];
        var checkedCalls = 0;
        using var http = factory.CreateClient();
        foreach (var (name, method, path, policy) in endpoints)
        {
            Assert.True(Expected.TryGetValue(name, out var expected), $"{host}: {method} {path} ({name}) is not in the matrix: give it an operator policy and a row in {nameof(Expected)}");
            Assert.Equal(expected, policy);
            foreach (var (who, token, role) in callers)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                if (method == "POST") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await http.SendAsync(request);
                var status = (int)response.StatusCode;
                var because = $"{host}: {method} {path} by {who} answered {status}";
                if (role is null) Assert.True(status == 401, because);
                else if (Roles[policy].Contains(role)) Assert.True(status is not (401 or 403), because);
                else Assert.True(status == 403, because);
                if (status is 401 or 403) await ProblemAssert.IsProblemAsync(response, status, OperatorAuthorizationResultHandler.Field);
                checkedCalls++;
            }
        }
        Assert.Equal(endpoints.Count * callers.Length, checkedCalls);
    }

    [Fact]
    public async Task Without_a_token_the_answer_is_401_saying_a_bearer_token_is_needed()
    {
        await using var factory = Start("selector");
        using var http = factory.CreateClient();
        using var response = await http.GetAsync("/api/tasks");
        await ProblemAssert.IsProblemAsync(response, 401, "Authorization");
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Contains("needs a bearer token", await DetailAsync(response));

        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DevelopmentIssuer.Mint(TestAuth.Key, "old", OperatorRoles.Admin,
            TimeSpan.FromMinutes(5), now: DateTimeOffset.UtcNow.AddHours(-1)));
        using var expired = await http.GetAsync("/api/tasks");
        await ProblemAssert.IsProblemAsync(expired, 401, "Authorization");
        Assert.Contains("expired", await DetailAsync(expired));
    }

    [Fact]
    public async Task A_role_that_may_not_operate_gets_403_naming_the_roles_that_may()
    {
        await using var factory = Start("selector");
        using var http = factory.CreateClient().As(OperatorRoles.Auditor, "audrey");
        using var response = await http.PostAsync("/api/tasks/t1/pause", null);
        await ProblemAssert.IsProblemAsync(response, 403, "Authorization");
        Assert.Equal("caller 'audrey' (role auditor) may not call POST /api/tasks/t1/pause: it needs the role admin or data-scientist", await DetailAsync(response));
    }

    [Fact]
    public async Task Health_and_the_api_description_need_no_token()
    {
        await using var factory = Start("registry");
        using var http = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/openapi/v1.json")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/scalar/")).StatusCode);
    }

    [Fact]
    public async Task A_caller_over_its_rate_gets_429_with_retry_after_and_other_callers_do_not()
    {
        await using var factory = Start("registry", ("OperatorApi:RequestsPerWindow", "3"), ("OperatorApi:RateLimitWindow", "00:10:00"));
        using var alice = factory.CreateClient().As(OperatorRoles.Admin, "alice");
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/api/clients")).StatusCode);
        using var limited = await alice.GetAsync("/api/clients");
        await ProblemAssert.IsProblemAsync(limited, 429, "Authorization");
        var retryAfter = limited.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter > TimeSpan.Zero && retryAfter <= TimeSpan.FromMinutes(10), $"Retry-After {retryAfter}");
        Assert.Contains("caller 'alice' made more than 3 requests", await DetailAsync(limited));
        using var bob = factory.CreateClient().As(OperatorRoles.Auditor, "bob");
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/api/clients")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync("/health/live")).StatusCode); // probes are not limited
    }

    [Fact]
    public async Task The_development_switch_lets_calls_in_without_a_token()
    {
        await using var factory = Start("selector", ("OperatorApi:AuthDisabled", "true"));
        using var http = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/tasks")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/tasks/t1/pause", null)).StatusCode); // operating too, as admin
        // ... and the host says so at every start, naming the setting.
        var warning = Assert.Single(factory.Services.GetServices<IHostedService>().OfType<UnsafeSettingWarning>());
        Assert.StartsWith("OperatorApi:AuthDisabled is true", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_unsafe_setting_keeps_its_own_start_up_warning()
    {
        var services = new ServiceCollection().AddLogging().AddUnsafeSettingWarning("first: A").AddUnsafeSettingWarning("second: B");
        using var provider = services.BuildServiceProvider();
        Assert.Equal(["first: A", "second: B"], provider.GetServices<IHostedService>().OfType<UnsafeSettingWarning>().Select(w => w.Message));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddUnsafeSettingWarning(" "));
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response)
    {
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return problem.RootElement.GetProperty("detail").GetString()!;
    }

    /// <summary>The host's own /api endpoints (not the gateway's proxy routes) with their name, method, a path to call and their policy.</summary>
    private static List<(string Name, string Method, string Path, string Policy)> OperatorEndpoints(IServiceProvider services) =>
        [.. services.GetServices<EndpointDataSource>().SelectMany(source => source.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api", StringComparison.Ordinal) == true)
            .Where(e => !e.Metadata.Any(m => m.GetType().FullName == "Yarp.ReverseProxy.Model.RouteModel"))
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(method => (
                e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? e.DisplayName ?? "?",
                method,
                PathOf(e.RoutePattern),
                string.Join(",", e.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy ?? "(no policy)")))))];

    private static string PathOf(RoutePattern pattern) =>
        "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart { Name: "version" or "round" } => "1",
            RoutePatternParameterPart parameter => parameter.Name[..1] + "1",
            _ => "",
        }))));

    private IAsyncDisposableFactory Start(string host, params (string Key, string Value)[] settings)
    {
        var root = Path.Combine(_home, $"{host}-{Guid.NewGuid():N}");
        void Configure(IWebHostBuilder b)
        {
            b.UseSetting("Storage:Root", root).UseTestAuth();
            if (host == "gateway") b.UseSetting("Gateway:RegistryUrl", "http://127.0.0.1:9"); // its own endpoint (the audit log) is what is checked
            if (host == "edge") b.UseSetting("Edge:AllowPlainHttp", "true").UseSetting("Edge:CertificateFile", ""); // the test server has no TLS
            foreach (var (key, value) in settings) b.UseSetting(key, value);
        }
        return host switch
        {
            "registry" => new Factory<Registry.Host.HostEntry>(Configure),
            "selector" => new Factory<Selector.Host.HostEntry>(Configure),
            "model-registry" => new Factory<ModelRegistry.Host.HostEntry>(Configure),
            "reward" => new Factory<Reward.Host.HostEntry>(Configure),
            "privacy-accounting" => new Factory<PrivacyAccounting.Host.HostEntry>(Configure),
            "gateway" => new Factory<Gateway.Host.HostEntry>(Configure),
            "edge" => new Factory<Edge.Host.HostEntry>(Configure),
            _ => throw new ArgumentOutOfRangeException(nameof(host), host, "no such host"),
        };
    }

    private interface IAsyncDisposableFactory : IAsyncDisposable
    {
        IServiceProvider Services { get; }
        HttpClient CreateClient();
    }

    private sealed class Factory<TEntry>(Action<IWebHostBuilder> configure) : IAsyncDisposableFactory where TEntry : class
    {
        private readonly WebApplicationFactory<TEntry> _factory = new WebApplicationFactory<TEntry>().WithWebHostBuilder(configure);
        public IServiceProvider Services => _factory.Services;
        public HttpClient CreateClient() => _factory.CreateClient();
        public ValueTask DisposeAsync() => _factory.DisposeAsync();
    }
}
