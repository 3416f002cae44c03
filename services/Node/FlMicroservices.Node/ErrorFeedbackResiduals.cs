using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FlMicroservices.Core.Compression;
using FlMicroservices.Infrastructure.State;

namespace FlMicroservices.Node;

/// <summary>
/// Each client's top-k error-feedback residual per task, kept in the node's state store so that a restarted node carries on
/// with what its clients have not sent yet (docs/compression.md, "Error feedback").
/// </summary>
/// <remarks>
/// Read lazily, one client and task at a time; held in memory once read. Over an <see cref="InMemoryStateStore"/> (an embedded
/// simulation) nothing is written: the residual in memory is already all that store would keep.
/// </remarks>
public sealed class ErrorFeedbackResiduals(IStateStore store)
{
    private const string Kind = "error-feedback";
    private readonly bool _durable = store is not InMemoryStateStore;
    private readonly ConcurrentDictionary<(string Task, string Client), ErrorFeedback> _feedback = new();

    /// <summary>The error feedback of <paramref name="clientId"/> for <paramref name="taskId"/>: the kept one, or a new one.</summary>
    public async Task<ErrorFeedback> ForAsync(string taskId, string clientId, CancellationToken cancellationToken)
    {
        if (_feedback.TryGetValue((taskId, clientId), out var known)) return known;
        var stored = await store.GetAsync<StoredResidual>(Kind, Key(taskId, clientId), cancellationToken);
        ErrorFeedback feedback;
        try { feedback = stored is null ? new ErrorFeedback() : ErrorFeedback.Resume(MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(stored.Residual))); }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidDataException($"The kept error-feedback residual of client {clientId} for task {taskId} in {store.Location} is damaged: {e.Message}", e);
        }
        return _feedback.GetOrAdd((taskId, clientId), feedback);
    }

    /// <summary>Stores the residual <paramref name="feedback"/> holds now (before the update it follows from is streamed).</summary>
    public Task SaveAsync(string taskId, string clientId, ErrorFeedback feedback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        if (!_durable) return Task.CompletedTask;
        var bytes = MemoryMarshal.AsBytes(feedback.Residual).ToArray();
        return store.PutAsync(Kind, Key(taskId, clientId), new StoredResidual(taskId, clientId, Convert.ToBase64String(bytes)), cancellationToken);
    }

    private static string Key(string taskId, string clientId) => $"{taskId}/{clientId}";

    /// <summary>A residual as stored: its float32 values, little-endian, in base64.</summary>
    private sealed record StoredResidual(string TaskId, string ClientId, string Residual);
}
