using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Registry;

/// <summary>The tasks the registry has accepted and the clients it has admitted, kept in its store.</summary>
public sealed class TaskCatalog(RegistryStore store) : RestoredState
{
    private readonly ConcurrentDictionary<string, AcceptedTask> _tasks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AdmittedClient> _clients = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _adding = new(1, 1);

    /// <summary>A catalog that lives in memory only.</summary>
    public TaskCatalog() : this(new RegistryStore(new InMemoryStateStore())) { }

    public override string Name => "registry catalog";

    /// <summary>Accepts a new task id, stored before it returns true; false when the id exists.</summary>
    public async Task<bool> TryAddAsync(string taskId, TaskSpec spec, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        await _adding.WaitAsync(cancellationToken);
        try
        {
            if (_tasks.ContainsKey(taskId)) return false;
            var task = new AcceptedTask(taskId, spec, createdAt);
            await store.SaveTaskAsync(task, cancellationToken);
            _tasks[taskId] = task;
            return true;
        }
        finally { _adding.Release(); }
    }

    public TaskSpec? Find(string taskId)
    {
        EnsureRestored();
        return _tasks.GetValueOrDefault(taskId)?.Spec;
    }

    public IReadOnlyCollection<string> TaskIds
    {
        get
        {
            EnsureRestored();
            return _tasks.Keys.Order(StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>Records an admitted client with its capabilities (stored before it returns).</summary>
    public async Task RecordClientAsync(string clientId, ClientCapabilities capabilities, DateTimeOffset admittedAt, CancellationToken cancellationToken) =>
        await RecordClientAsync(clientId, capabilities, null, admittedAt, cancellationToken);

    /// <summary>
    /// Records an admitted client with its capabilities and its keys, bound on first use (stored before it returns); returns the keys
    /// bound, or the refusal when a key differs from the one bound to the id (then nothing changes).
    /// </summary>
    public async Task<(ClientKey[]? Keys, string? Refusal)> RecordClientAsync(string clientId, ClientCapabilities capabilities,
        IReadOnlyList<ClientKey>? keys, DateTimeOffset admittedAt, CancellationToken cancellationToken)
    {
        await RestoreAsync(cancellationToken);
        await _adding.WaitAsync(cancellationToken); // two registrations of one id must not both bind a key
        try
        {
            var bound = ClientKeyBinding.Bind(clientId, _clients.GetValueOrDefault(clientId)?.Keys, keys);
            if (bound.Refusal is not null) return bound;
            var client = new AdmittedClient(clientId, capabilities, admittedAt, bound.Keys);
            await store.SaveClientAsync(client, cancellationToken);
            _clients[clientId] = client;
            return bound;
        }
        finally { _adding.Release(); }
    }

    /// <summary>An admitted client, or null.</summary>
    public AdmittedClient? FindClient(string clientId)
    {
        EnsureRestored();
        return _clients.GetValueOrDefault(clientId);
    }

    /// <summary>Every admitted client, in id order.</summary>
    public IReadOnlyList<AdmittedClient> Clients
    {
        get
        {
            EnsureRestored();
            return _clients.Values.OrderBy(c => c.ClientId, StringComparer.Ordinal).ToArray();
        }
    }

    protected override async Task LoadAsync(CancellationToken cancellationToken)
    {
        _tasks.Clear();
        _clients.Clear();
        foreach (var task in await store.LoadTasksAsync(cancellationToken)) _tasks[task.TaskId] = task;
        foreach (var client in await store.LoadClientsAsync(cancellationToken)) _clients[client.ClientId] = client;
    }
}
