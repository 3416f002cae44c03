using System.Collections.Concurrent;

namespace FlMicroservices.Infrastructure.State;

/// <summary>State kept in this process only (in-process compositions and tests); documents are still copied through JSON.</summary>
public sealed class InMemoryStateStore : JsonStateStore
{
    private readonly ConcurrentDictionary<(string Kind, string Key), string> _documents = new();

    public override string Location => "memory";

    protected override Task<IReadOnlyList<(string Key, string Json)>> ReadAllAsync(string kind, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<(string, string)>>(_documents.Where(d => d.Key.Kind == kind)
            .OrderBy(d => d.Key.Key, StringComparer.Ordinal).Select(d => (d.Key.Key, d.Value)).ToArray());

    protected override Task<string?> ReadAsync(string kind, string key, CancellationToken cancellationToken) =>
        Task.FromResult(_documents.GetValueOrDefault((kind, key)));

    protected override Task WriteAsync(string kind, string key, string json, CancellationToken cancellationToken)
    {
        _documents[(kind, key)] = json;
        return Task.CompletedTask;
    }
}
