using FlMicroservices.Infrastructure.Security;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.ModelRegistry.Host;
using FlMicroservices.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Api.Tests;

/// <summary>The gateway in process, proxying to the model registry's real host listening on a loopback port.</summary>
public sealed class GatewayTests : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("fl-gateway-").FullName;
    private WebApplicationFactory<HostEntry> _registry = null!;
    private WebApplicationFactory<Reward.Host.HostEntry> _reward = null!;
    private WebApplicationFactory<PrivacyAccounting.Host.HostEntry> _privacy = null!;
    private WebApplicationFactory<Gateway.Host.HostEntry> _gateway = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var port = ProcessRunner.FreePort();
        _registry = new WebApplicationFactory<HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", _home).UseTestAuth());
        _registry.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, port));
        _registry.StartServer();
        var store = _registry.Services.GetRequiredService<IModelStore>();
        float[] weights = [1, 2, 3, 4];
        await store.SaveVersionAsync(new ModelVersionInfo("task-g", 0, 0, null, 4, WeightsFile.Digest(weights), 0.75, 0.5, false, DateTimeOffset.UtcNow),
            weights, CancellationToken.None);
        await store.SetCurrentVersionAsync("task-g", 0, CancellationToken.None);
        var rewardPort = ProcessRunner.FreePort();
        _reward = new WebApplicationFactory<Reward.Host.HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", _home).UseTestAuth());
        _reward.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, rewardPort));
        _reward.StartServer();
        await _reward.Services.GetRequiredService<Reward.TokenLedger>().PayOnceAsync("task-g", 1, [("c1", 1, 100m)], CancellationToken.None);
        var privacyPort = ProcessRunner.FreePort();
        _privacy = new WebApplicationFactory<PrivacyAccounting.Host.HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", _home).UseTestAuth());
        _privacy.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, privacyPort));
        _privacy.StartServer();
        _privacy.Services.GetRequiredService<PrivacyAccounting.PrivacyLedger>().Add("task-g", PrivacyConfig.None);
        _gateway = new WebApplicationFactory<Gateway.Host.HostEntry>().WithWebHostBuilder(b => b.UseTestAuth()
            .UseSetting("Storage:Root", Path.Combine(_home, "gateway"))
            .UseSetting("Gateway:ModelRegistryUrl", $"http://127.0.0.1:{port}")
            .UseSetting("Gateway:RewardUrl", $"http://127.0.0.1:{rewardPort}")
            .UseSetting("Gateway:PrivacyAccountingUrl", $"http://127.0.0.1:{privacyPort}"));
        _http = _gateway.CreateClient().As(OperatorRoles.Admin);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
        await _privacy.DisposeAsync();
        await _reward.DisposeAsync();
        await _registry.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Model_versions_and_their_problems_come_through_the_one_base_url()
    {
        var page = await _http.GetFromJsonAsync<ModelVersionPage>("/api/tasks/task-g/models");
        Assert.Equal(0, page!.CurrentVersion);
        Assert.Equal(0.75, Assert.Single(page.Items).Accuracy);

        using var missing = await _http.GetAsync("/api/tasks/task-g/models/5");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Rewards_and_privacy_come_through_the_same_base_url()
    {
        var balances = await _http.GetFromJsonAsync<Reward.Host.RewardBalancePage>("/api/rewards/balances");
        Assert.Equal(("c1", 100m), (Assert.Single(balances!.Items).ClientId, balances.Items[0].Balance));
        var payouts = await _http.GetFromJsonAsync<Reward.Host.TaskRewardPage>("/api/tasks/task-g/rewards");
        Assert.Equal(1, Assert.Single(payouts!.Items).Round);
        var privacy = await _http.GetFromJsonAsync<PrivacyAccounting.Host.TaskPrivacyReport>("/api/tasks/task-g/privacy");
        Assert.Equal("None", privacy!.Mechanism);
        using var clients = await _http.GetAsync("/api/tasks/task-g/privacy/clients");
        await ProblemAssert.IsProblemAsync(clients, 409, "taskId");
        using var reward = JsonDocument.Parse(await _http.GetStringAsync("/openapi/reward.json"));
        Assert.True(reward.RootElement.GetProperty("paths").TryGetProperty("/api/rewards/balances", out _));
        using var privacyDocument = JsonDocument.Parse(await _http.GetStringAsync("/openapi/privacy-accounting.json"));
        Assert.True(privacyDocument.RootElement.GetProperty("paths").TryGetProperty("/api/tasks/{taskId}/privacy", out _));
    }

    [Fact]
    public async Task Each_service_document_is_served_under_its_name_and_the_API_page_lists_it()
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync("/openapi/model-registry.json"));
        Assert.True(document.RootElement.GetProperty("paths").TryGetProperty("/api/tasks/{taskId}/models", out _));

        var page = await _http.GetStringAsync("/scalar/");
        Assert.Contains("{\"title\":\"model-registry\",\"url\":\"openapi/model-registry.json\"}", page); // Scalar resolves it against the base path
        Assert.Contains("\"telemetry\":false", page);
        Assert.DoesNotContain("https://", page);
    }

    [Fact]
    public async Task A_path_no_service_owns_is_not_found()
    {
        using var response = await _http.GetAsync("/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("not-a-url", "Gateway:ModelRegistryUrl 'not-a-url' is not an absolute http(s) URL")]
    [InlineData("", "no service URL is configured: set Gateway:ModelRegistryUrl or Gateway:RegistryUrl or Gateway:SelectorUrl or Gateway:RewardUrl or Gateway:PrivacyAccountingUrl")]
    public void Bad_configuration_names_the_setting(string url, string expected)
    {
        var options = new Gateway.Host.GatewayOptions { ModelRegistryUrl = url };
        options.Configured(out var problems);
        Assert.Equal(expected, Assert.Single(problems));
    }
}
