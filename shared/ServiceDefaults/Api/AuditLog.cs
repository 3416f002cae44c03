using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>The operator actions, one document each (kind "audit") in the gateway's state store: SQLite by default, MongoDB when configured.</summary>
public sealed class AuditLog(IStateStore store)
{
    public const string Kind = "audit";

    /// <summary>The state store the log lives in; every process that takes operators' calls (the gateway, the edge) writes to it.</summary>
    public const string Store = "gateway";

    /// <summary>Stores the entry; it is durable when this returns.</summary>
    public Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return store.PutAsync(Kind, entry.Id, entry, cancellationToken);
    }

    /// <summary>Every entry, newest first.</summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(CancellationToken cancellationToken)
    {
        var entries = await store.ListAsync<AuditEntry>(Kind, cancellationToken);
        return [.. entries.Reverse()];
    }

    /// <summary>An id that sorts by time (ticks), unique across calls in the same tick.</summary>
    public static string NewId(DateTimeOffset at) => $"{at.UtcTicks:D19}-{Guid.NewGuid():N}"[..28];
}
