using System.Text.Json;

namespace FlMicroservices.Infrastructure.State;

/// <summary>An <see cref="IStateStore"/> over a backend that keeps each document as JSON text.</summary>
public abstract class JsonStateStore : IStateStore
{
    /// <summary>How documents are written: the web defaults, with numbers as written (a decimal balance stays exact).</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public abstract string Location { get; }

    public async Task<IReadOnlyList<T>> ListAsync<T>(string kind, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        var texts = await ReadAllAsync(kind, cancellationToken).ConfigureAwait(false);
        return texts.Select(t => Parse<T>(kind, t.Key, t.Json)).ToArray();
    }

    public async Task<T?> GetAsync<T>(string kind, string key, CancellationToken cancellationToken) where T : class
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var text = await ReadAsync(kind, key, cancellationToken).ConfigureAwait(false);
        return text is null ? null : Parse<T>(kind, key, text);
    }

    public Task PutAsync<T>(string kind, string key, T document, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(document);
        return WriteAsync(kind, key, JsonSerializer.Serialize(document, Json), cancellationToken);
    }

    /// <summary>Every (key, JSON) of a kind, in ordinal key order.</summary>
    protected abstract Task<IReadOnlyList<(string Key, string Json)>> ReadAllAsync(string kind, CancellationToken cancellationToken);

    protected abstract Task<string?> ReadAsync(string kind, string key, CancellationToken cancellationToken);

    protected abstract Task WriteAsync(string kind, string key, string json, CancellationToken cancellationToken);

    private T Parse<T>(string kind, string key, string json)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException("the document is null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The state document {kind}/{key} in {Location} cannot be read as {typeof(T).Name}: {e.Message}", e);
        }
    }
}
