using FlMicroservices.Infrastructure.Security;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Registry;
using FlMicroservices.Registry.Host;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Api.Tests;

/// <summary>The registry's operator endpoints on its real host, in process: task creation (as the bus's CreateTask) and the client list.</summary>
public sealed class RegistryApiTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _home = Directory.CreateTempSubdirectory("fl-registry-api-").FullName;
    private WebApplicationFactory<HostEntry> _factory = null!;
    private HttpClient _http = null!;

    public static readonly TaskSpec Spec = new() { ModelName = "logreg", SampleShape = [60], ClassCount = 10, Rounds = 3, Training = new TrainingConfig(1, 10, 0.1) };

    public async Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<HostEntry>().WithWebHostBuilder(b => b.UseSetting("Storage:Root", _home).UseTestAuth());
        _http = _factory.CreateClient().As(OperatorRoles.Admin);
        var catalog = _factory.Services.GetRequiredService<TaskCatalog>();
        var health = _factory.Services.GetRequiredService<IClientHealthStore>();
        var now = DateTimeOffset.UtcNow;
        // c1: healthy, mnist, cnn; c2: healthy, synthetic, logreg; c3: silent for an hour.
        (string Id, string Dataset, string Model, DateTimeOffset Seen)[] clients =
            [("c1", "mnist", "cnn", now), ("c2", "synthetic", "logreg", now), ("c3", "mnist", "logreg", now.AddHours(-1))];
        foreach (var (id, dataset, model, seen) in clients)
        {
            ClientDataset[] datasets = [new(dataset, [60], 10, 100)];
            await catalog.RecordClientAsync(id, new ClientCapabilities(100, 4, 1L << 30, [model], datasets), now, CancellationToken.None);
            await health.UpsertAsync(new ClientHealth(id, ClientStatus.Healthy, seen, 100, 0.25, 1L << 29, datasets), CancellationToken.None);
        }
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Body(string taskId, TaskSpec spec) =>
        JsonSerializer.Serialize(new { taskId, spec }, new JsonSerializerOptions(JsonSerializerDefaults.Web));

    [Fact]
    public async Task A_valid_task_is_stored_and_announced_with_TaskCreated_and_a_second_one_with_its_id_conflicts()
    {
        var created = new TaskCompletionSource<TaskCreated>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = _factory.Services.GetRequiredService<IBus>();
        var handle = bus.ConnectReceiveEndpoint("api-test-task-created", e => e.Handler<TaskCreated>(c =>
        {
            created.TrySetResult(c.Message);
            return Task.CompletedTask;
        }));
        await handle.Ready.WaitAsync(Wait);

        using var response = await _http.PostAsync("/api/tasks", Json(Body("task-new", Spec)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/tasks/task-new", response.Headers.Location?.ToString());
        var body = await response.Content.ReadFromJsonAsync<TaskCreated>();
        Assert.Equal(("task-new", 3), (body!.TaskId, body.Spec.Rounds));
        var announced = await created.Task.WaitAsync(Wait);
        Assert.Equal(("task-new", "logreg", 3), (announced.TaskId, announced.Spec.ModelName, announced.Spec.Rounds));
        Assert.Equal(3, _factory.Services.GetRequiredService<TaskCatalog>().Find("task-new")!.Rounds);

        using var again = await _http.PostAsync("/api/tasks", Json(Body("task-new", Spec with { Rounds = 5 })));
        await ProblemAssert.IsProblemAsync(again, 409, "taskId");
        Assert.Equal(3, _factory.Services.GetRequiredService<TaskCatalog>().Find("task-new")!.Rounds);
    }

    public static TheoryData<string, string> InvalidTasks => new()
    {
        { Body("task-x", Spec with { Rounds = 0 }), "spec.rounds" },
        { Body("task-x", Spec with { Training = new TrainingConfig(1, 10, 0) }), "spec.training.learningRate" },
        { Body("task-x", Spec with { ModelName = "gpt" }), "spec.modelName" },
        { Body("bad id", Spec), "taskId" },
        { """{"taskId":"task-x"}""", "spec" },
        { Body(null!, Spec), "taskId" },
        { """{"taskId":"task-x","spec":{"rounds":"many"}}""", "spec.rounds" },
        { "not json", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidTasks))]
    public async Task An_invalid_task_is_a_problem_naming_the_field_and_nothing_is_stored(string body, string field)
    {
        using var response = await _http.PostAsync("/api/tasks", Json(body));

        await ProblemAssert.IsProblemAsync(response, 400, field);
        Assert.Null(_factory.Services.GetRequiredService<TaskCatalog>().Find("task-x"));
    }

    [Theory]
    [InlineData("", 3, "c1,c2,c3")]
    [InlineData("?healthy=true", 2, "c1,c2")]
    [InlineData("?healthy=false", 1, "c3")]
    [InlineData("?dataset=mnist", 2, "c1,c3")]
    [InlineData("?dataset=mnist&healthy=true", 1, "c1")]
    [InlineData("?model=logreg", 2, "c2,c3")]
    [InlineData("?offset=1&limit=1", 3, "c2")]
    [InlineData("?sort=id&descending=true", 3, "c3,c2,c1")]
    [InlineData("?healthy=true&sort=id&descending=true&limit=1", 2, "c2")]
    public async Task Clients_are_listed_with_health_and_capabilities_filtered_and_paged(string query, int total, string ids)
    {
        using var page = JsonDocument.Parse(await _http.GetStringAsync("/api/clients" + query));

        Assert.Equal(total, page.RootElement.GetProperty("total").GetInt32());
        var items = page.RootElement.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(ids, string.Join(',', items.Select(i => i.GetProperty("clientId").GetString())));
        var first = items[0];
        Assert.Equal(4, first.GetProperty("cpuCores").GetInt32());
        Assert.Equal(0.25, first.GetProperty("cpuLoad").GetDouble());
        Assert.Equal("Healthy", first.GetProperty("status").GetString());
        Assert.Equal(100, first.GetProperty("datasets")[0].GetProperty("exampleCount").GetInt32());
    }

    [Theory]
    [InlineData("/api/clients?limit=0", "limit")]
    [InlineData("/api/clients?limit=501", "limit")]
    [InlineData("/api/clients?offset=-1", "offset")]
    [InlineData("/api/clients?dataset=bad%20name", "dataset")]
    [InlineData("/api/clients?healthyWithinSeconds=0", "healthyWithinSeconds")]
    [InlineData("/api/clients?sort=lastSeen", "sort")]
    public async Task Bad_client_queries_are_problems_naming_the_field(string url, string field)
    {
        using var response = await _http.GetAsync(url);
        await ProblemAssert.IsProblemAsync(response, 400, field);
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_registry_endpoints()
    {
        var paths = await ProblemAssert.OpenApiPathsAsync(_http);
        Assert.Contains("/api/tasks", paths);
        Assert.Contains("/api/clients", paths);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("/scalar/")).StatusCode);
    }

    [Fact]
    public void A_validator_problem_names_the_request_field()
    {
        Assert.Equal("spec.privacy.noiseMultiplier", TaskCreationEndpoints.FieldOf("Privacy.NoiseMultiplier 0 must be a finite number greater than 0"));
        Assert.Equal("spec.strategy", TaskCreationEndpoints.FieldOf("Strategy: unknown strategy 'x'"));
        Assert.Equal("taskId", TaskCreationEndpoints.FieldOf("TaskId 'a b' is not valid"));
        Assert.Equal("spec", TaskCreationEndpoints.FieldOf("round 1 cannot be planned"));
    }
}
