namespace FlMicroservices.Infrastructure.State;

/// <summary>One service's durable state: JSON documents by kind and key, each write atomic and durable when it returns.</summary>
public interface IStateStore
{
    /// <summary>Where the documents live, for logs and readiness (a file path or a database and collection).</summary>
    string Location { get; }

    /// <summary>Every document of <paramref name="kind"/>, in key order.</summary>
    Task<IReadOnlyList<T>> ListAsync<T>(string kind, CancellationToken cancellationToken);

    /// <summary>The document of <paramref name="kind"/> under <paramref name="key"/>, or null.</summary>
    Task<T?> GetAsync<T>(string kind, string key, CancellationToken cancellationToken) where T : class;

    /// <summary>Stores <paramref name="document"/>, replacing any earlier one under the same kind and key.</summary>
    Task PutAsync<T>(string kind, string key, T document, CancellationToken cancellationToken);
}
