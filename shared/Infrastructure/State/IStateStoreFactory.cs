namespace FlMicroservices.Infrastructure.State;

/// <summary>Opens the state store of one service (chosen by Storage:State).</summary>
public interface IStateStoreFactory
{
    /// <summary>The store of <paramref name="service"/>, e.g. "reward".</summary>
    IStateStore Open(string service);
}

/// <summary>Storage:State=Sqlite (the default): the file "&lt;service&gt;.db" in <paramref name="folder"/>; InMemory: nothing durable.</summary>
public sealed class EmbeddedStateStores(string folder, bool inMemory) : IStateStoreFactory
{
    public IStateStore Open(string service) =>
        inMemory ? new InMemoryStateStore() : new SqliteStateStore(Path.Combine(folder, service + ".db"));
}
