using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Registry;

/// <summary>The registry's durable part: the tasks it accepted and the clients it admitted, one document each.</summary>
public sealed class RegistryStore(IStateStore store)
{
    public const string Tasks = "tasks";
    public const string Clients = "clients";
    public const string Participation = "participation";
    public const string CountedRounds = "counted-rounds";

    public Task<IReadOnlyList<AcceptedTask>> LoadTasksAsync(CancellationToken cancellationToken) => store.ListAsync<AcceptedTask>(Tasks, cancellationToken);

    public Task SaveTaskAsync(AcceptedTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        return store.PutAsync(Tasks, task.TaskId, task, cancellationToken);
    }

    public Task<IReadOnlyList<AdmittedClient>> LoadClientsAsync(CancellationToken cancellationToken) => store.ListAsync<AdmittedClient>(Clients, cancellationToken);

    public Task SaveClientAsync(AdmittedClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        return store.PutAsync(Clients, client.ClientId, client, cancellationToken);
    }

    public Task<IReadOnlyList<ClientParticipation>> LoadParticipationAsync(CancellationToken cancellationToken) =>
        store.ListAsync<ClientParticipation>(Participation, cancellationToken);

    public Task SaveParticipationAsync(ClientParticipation participation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(participation);
        return store.PutAsync(Participation, participation.ClientId, participation, cancellationToken);
    }

    /// <summary>The rounds ("task/round") already counted into the participation.</summary>
    public async Task<IReadOnlyList<string>> LoadCountedRoundsAsync(CancellationToken cancellationToken) =>
        [.. (await store.ListAsync<CountedRound>(CountedRounds, cancellationToken)).Select(r => r.Key)];

    public Task SaveCountedRoundAsync(string key, CancellationToken cancellationToken) => store.PutAsync(CountedRounds, key, new CountedRound(key), cancellationToken);
}

/// <summary>A round counted into the participation.</summary>
public sealed record CountedRound(string Key);

/// <summary>A task the registry accepted.</summary>
public sealed record AcceptedTask(string TaskId, TaskSpec Spec, DateTimeOffset CreatedAt);

/// <summary>A client the registry admitted, with the capabilities it last registered with and the public keys bound to its id.</summary>
public sealed record AdmittedClient(string ClientId, ClientCapabilities Capabilities, DateTimeOffset AdmittedAt, ClientKey[]? Keys = null);
