using FlMicroservices.Infrastructure.Security;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Registry;
using FlMicroservices.Registry.Host;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Api.Tests;

/// <summary>GET /api/clients reads the health records of the page it answers, not of every registered client.</summary>
public sealed class ClientPagingTests : IAsyncLifetime
{
    private const int Clients = 3_000;
    private readonly string _home = Directory.CreateTempSubdirectory("fl-client-paging-").FullName;
    private readonly CountingHealthStore _health = new();
    private WebApplicationFactory<HostEntry> _factory = null!;

    public async Task InitializeAsync()
    {
        _factory = new WebApplicationFactory<HostEntry>().WithWebHostBuilder(b => b.UseTestAuth()
            .UseSetting("Storage:Root", _home)
            .ConfigureTestServices(s => s.Replace(ServiceDescriptor.Singleton<IClientHealthStore>(_health))));
        var catalog = _factory.Services.GetRequiredService<TaskCatalog>();
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < Clients; i++)
        {
            var id = $"c{i:D5}";
            // Every third client is silent for an hour; examples fall with the index so that sorting by them reverses the ids.
            await catalog.RecordClientAsync(id, new ClientCapabilities(Clients - i, 2, 1L << 30, ["logreg"], null), now, CancellationToken.None);
            await _health.UpsertAsync(new ClientHealth(id, ClientStatus.Healthy, i % 3 == 0 ? now.AddHours(-1) : now, Clients - i, 0.5, 1L << 29), CancellationToken.None);
        }
        _health.Asked = 0;
    }

    public async Task DisposeAsync()
    {
        await _factory.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_filtered_sorted_page_reads_only_that_pages_health_records()
    {
        using var http = _factory.CreateClient().As(OperatorRoles.Admin);

        using var page = JsonDocument.Parse(await http.GetStringAsync("/api/clients?healthy=true&sort=examples&offset=10&limit=20"));

        Assert.Equal(Clients * 2 / 3, page.RootElement.GetProperty("total").GetInt32());
        var ids = page.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("clientId").GetString()).ToArray();
        Assert.Equal(20, ids.Length);
        // Fewest examples first: the highest healthy indexes (2999, 2998, 2996, 2995, ...), skipping 10 of them.
        Assert.Equal("c02984", ids[0]);
        Assert.All(page.RootElement.GetProperty("items").EnumerateArray(), i => Assert.True(i.GetProperty("healthy").GetBoolean()));
        Assert.Equal(20, _health.Asked);
    }

    [Fact]
    public async Task Sorting_by_last_heartbeat_orders_every_client_both_ways_and_reads_one_index_plus_one_page()
    {
        using var http = _factory.CreateClient().As(OperatorRoles.Admin);
        var catalog = _factory.Services.GetRequiredService<TaskCatalog>();
        var now = DateTimeOffset.UtcNow;
        // c01500 sent the newest heartbeat; zz-never was admitted but never sent one (it counts as the oldest).
        await _health.UpsertAsync(new ClientHealth("c01500", ClientStatus.Healthy, now.AddMinutes(1), 1500, 0.5, 1L << 29), CancellationToken.None);
        await catalog.RecordClientAsync("zz-never", new ClientCapabilities(1, 2, 1L << 30, ["logreg"], null), now, CancellationToken.None);

        async Task<(int Total, string[] Ids)> PageAsync(string query)
        {
            using var page = JsonDocument.Parse(await http.GetStringAsync($"/api/clients?sort=heartbeat&{query}"));
            return (page.RootElement.GetProperty("total").GetInt32(),
                [.. page.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("clientId").GetString()!)]);
        }

        var oldest = await PageAsync("offset=0&limit=4");
        var newest = await PageAsync("descending=true&offset=0&limit=4");
        var lastDescending = await PageAsync($"descending=true&offset={Clients}&limit=10");

        Assert.Equal(Clients + 1, oldest.Total);
        // Oldest first: never seen, then the clients silent for an hour (every third index), ties by id.
        Assert.Equal(["zz-never", "c00000", "c00003", "c00006"], oldest.Ids);
        // Newest first: c01500, then the clients seen now, ties by id.
        Assert.Equal(["c01500", "c00001", "c00002", "c00004"], newest.Ids);
        Assert.Equal(["zz-never"], lastDescending.Ids);
        Assert.Equal(3, _health.SeenReads);
        Assert.Equal(4 + 4 + 1, _health.Asked); // only the pages' records, never all 3,001
    }

    [Fact]
    public async Task An_unknown_sort_is_refused_naming_the_sorts_including_heartbeat()
    {
        using var http = _factory.CreateClient().As(OperatorRoles.Admin);

        using var response = await http.GetAsync("/api/clients?sort=lastSeen");

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("sort 'lastSeen' is not one of", body);
        Assert.Contains("heartbeat", body);
    }

    private sealed class CountingHealthStore : IClientHealthStore
    {
        private readonly InMemoryClientHealthStore _inner = new();

        public int Asked;
        public int SeenReads;

        public Task UpsertAsync(ClientHealth health, CancellationToken cancellationToken) => _inner.UpsertAsync(health, cancellationToken);

        public Task<ClientHealth?> GetAsync(string clientId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Asked);
            return _inner.GetAsync(clientId, cancellationToken);
        }

        public Task<IReadOnlyList<string>> GetHealthyAsync(TimeSpan maxAge, CancellationToken cancellationToken) => _inner.GetHealthyAsync(maxAge, cancellationToken);

        public Task<int> CountAsync(CancellationToken cancellationToken) => _inner.CountAsync(cancellationToken);

        public Task<IReadOnlyDictionary<string, DateTimeOffset>> GetLastSeenAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref SeenReads);
            return _inner.GetLastSeenAsync(cancellationToken);
        }
    }
}
