using FlMicroservices.Infrastructure.Security;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Selector;
using FlMicroservices.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Api.Tests;

/// <summary>The gateway in process, routing the task and client paths to the registry's and the selector's real hosts on loopback ports.</summary>
public sealed class GatewayTaskRoutesTests : IAsyncLifetime
{
    private readonly string _home = Directory.CreateTempSubdirectory("fl-gateway-tasks-").FullName;
    private WebApplicationFactory<Registry.Host.HostEntry> _registry = null!;
    private WebApplicationFactory<Selector.Host.HostEntry> _selector = null!;
    private WebApplicationFactory<Gateway.Host.HostEntry> _gateway = null!;
    private HttpClient _http = null!;
    private int _registryPort, _selectorPort;

    public async Task InitializeAsync()
    {
        (_registryPort, _selectorPort) = (ProcessRunner.FreePort(), ProcessRunner.FreePort());
        _registry = new WebApplicationFactory<Registry.Host.HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", Path.Combine(_home, "registry")).UseTestAuth());
        _registry.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _registryPort));
        _registry.StartServer();
        _selector = new WebApplicationFactory<Selector.Host.HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", Path.Combine(_home, "selector")).UseTestAuth());
        _selector.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, _selectorPort));
        _selector.StartServer();
        await _selector.Services.GetRequiredService<TaskSchedule>().AddAsync("task-s", RegistryApiTests.Spec, DateTimeOffset.UtcNow, CancellationToken.None);
        _gateway = StartGateway();
        _http = _gateway.CreateClient().As(OperatorRoles.Admin);
    }

    // The gateway over the two services, its audit log under the test's folder (a second one started later finds it there).
    private WebApplicationFactory<Gateway.Host.HostEntry> StartGateway() =>
        new WebApplicationFactory<Gateway.Host.HostEntry>().WithWebHostBuilder(b => b.UseTestAuth()
            .UseSetting("Storage:Root", Path.Combine(_home, "gateway"))
            .UseSetting("Gateway:ModelRegistryUrl", "")
            .UseSetting("Gateway:RegistryUrl", $"http://127.0.0.1:{_registryPort}")
            .UseSetting("Gateway:SelectorUrl", $"http://127.0.0.1:{_selectorPort}"));

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _gateway.DisposeAsync();
        await _selector.DisposeAsync();
        await _registry.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Creating_goes_to_the_registry_and_reading_and_operating_to_the_selector()
    {
        var body = JsonSerializer.Serialize(new { taskId = "task-g", spec = RegistryApiTests.Spec }, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        using var created = await _http.PostAsync("/api/tasks", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var duplicate = await _http.PostAsync("/api/tasks", new StringContent(body, Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(duplicate, 409, "taskId");

        using var tasks = JsonDocument.Parse(await _http.GetStringAsync("/api/tasks"));
        Assert.Equal("task-s", Assert.Single(tasks.RootElement.GetProperty("items").EnumerateArray()).GetProperty("taskId").GetString());
        Assert.Equal("Created", (await _http.GetFromJsonAsync<Selector.Host.TaskDetail>("/api/tasks/task-s"))!.Task.State);
        using var rounds = JsonDocument.Parse(await _http.GetStringAsync("/api/tasks/task-s/rounds"));
        Assert.Equal(0, rounds.RootElement.GetProperty("total").GetInt32());
        using var paused = await _http.PostAsync("/api/tasks/task-s/pause", null);
        Assert.Equal("Paused", (await paused.Content.ReadFromJsonAsync<Selector.Host.TaskSummary>())!.State);
        using var unknown = await _http.PostAsync("/api/tasks/task-zz/cancel", null);
        await ProblemAssert.IsProblemAsync(unknown, 404, "taskId");

        using var clients = JsonDocument.Parse(await _http.GetStringAsync("/api/clients?healthy=true"));
        Assert.Equal(0, clients.RootElement.GetProperty("total").GetInt32());

        using var output = new StringWriter();
        Assert.Equal(0, await Cli.Commands.TaskApiCommands.ListAsync(_http, "paused", 10, output, CancellationToken.None));
        Assert.Contains("1 task paused", output.ToString());
    }

    [Fact]
    public async Task Each_service_document_is_served_under_its_name()
    {
        Assert.Contains("/api/clients", await ProblemAssert.OpenApiPathsAsync(_http, "/openapi/registry.json"));
        Assert.Contains("/api/tasks/{taskId}/rounds/{round}", await ProblemAssert.OpenApiPathsAsync(_http, "/openapi/selector.json"));
        var page = await _http.GetStringAsync("/scalar/");
        Assert.Contains("\"url\":\"openapi/registry.json\"", page);
        Assert.Contains("\"url\":\"openapi/selector.json\"", page);
    }

    [Fact]
    public async Task A_method_no_route_allows_is_refused_by_the_gateway()
    {
        using var response = await _http.DeleteAsync("/api/tasks/task-s");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Operator_actions_and_refused_calls_are_in_the_audit_log_and_survive_a_gateway_restart()
    {
        using (var dana = _gateway.CreateClient().As(OperatorRoles.DataScientist, "dana"))
        {
            using (var paused = await dana.PostAsync("/api/tasks/task-s/pause", null)) Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
            using (var read = await dana.GetAsync("/api/tasks/task-s")) Assert.Equal(HttpStatusCode.OK, read.StatusCode); // a read is not recorded
            using (var audit = await dana.GetAsync("/api/audit")) Assert.Equal(HttpStatusCode.Forbidden, audit.StatusCode);
        }
        using (var audrey = _gateway.CreateClient().As(OperatorRoles.Auditor, "audrey"))
        using (var refused = await audrey.PostAsync("/api/tasks/task-s/cancel", null))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode); // refused by the selector, recorded by the gateway
        using (var anonymous = _gateway.CreateClient())
        using (var unauthenticated = await anonymous.PostAsync("/api/tasks/task-s/resume", null))
            Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);

        _http.Dispose();
        await _gateway.DisposeAsync();
        _gateway = StartGateway();
        _http = _gateway.CreateClient().As(OperatorRoles.Auditor, "audrey");
        using var page = JsonDocument.Parse(await _http.GetStringAsync("/api/audit"));
        var entries = page.RootElement.GetProperty("items").EnumerateArray().Select(e => (
            e.GetProperty("caller").GetString(), e.GetProperty("roles").GetString(), e.GetProperty("action").GetString(),
            e.GetProperty("target").GetString(), e.GetProperty("status").GetInt32(), e.GetProperty("outcome").GetString())).ToArray();
        Assert.Equal(
        [
            ("anonymous", "", "POST /api/tasks/{taskId}/resume", "task=task-s", 401, "refused"),
            ("audrey", "auditor", "POST /api/tasks/{taskId}/cancel", "task=task-s", 403, "refused"),
            ("dana", "data-scientist", "GET /api/audit", "-", 403, "refused"),
            ("dana", "data-scientist", "POST /api/tasks/{taskId}/pause", "task=task-s", 200, "done"),
        ], entries);

        using var output = new StringWriter();
        Assert.Equal(0, await Cli.Commands.AuditLogCommand.ListAsync(_http, "dana", "task-s", 10, output, CancellationToken.None));
        Assert.Matches(@"dana\s+data-scientist\s+POST /api/tasks/\{taskId\}/pause\s+task=task-s\s+200 done", output.ToString());
        Assert.EndsWith("1 entries" + Environment.NewLine, output.ToString());
    }
}
