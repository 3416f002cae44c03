namespace FlMicroservices.Infrastructure.State;

/// <summary>A service's in-memory view of its durable state: restored from its store once, before any use.</summary>
public abstract class RestoredState
{
    private readonly Lock _lock = new();
    private Task? _restore;

    /// <summary>What this state is, for readiness and logs (e.g. "reward ledger").</summary>
    public abstract string Name { get; }

    /// <summary>True once the state was read back from its store.</summary>
    public bool IsRestored => Volatile.Read(ref _restore) is { IsCompletedSuccessfully: true };

    /// <summary>Why the last restore failed, or null.</summary>
    public string? Failure => Volatile.Read(ref _restore) is { IsFaulted: true } failed ? failed.Exception!.GetBaseException().Message : null;

    /// <summary>Restores the state once; callers share one restore, and a failed one is tried again by the next call.</summary>
    public Task RestoreAsync(CancellationToken cancellationToken)
    {
        Task restore;
        lock (_lock)
        {
            if (_restore is null || _restore.IsFaulted || _restore.IsCanceled) _restore = Task.Run(() => LoadAsync(CancellationToken.None));
            restore = _restore;
        }
        return restore.WaitAsync(cancellationToken);
    }

    /// <summary>Waits for the restore (starting it if the host has not): what every accessor calls first.</summary>
    protected void EnsureRestored()
    {
        if (!IsRestored) RestoreAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>Reads the documents back into memory; runs once per successful restore.</summary>
    protected abstract Task LoadAsync(CancellationToken cancellationToken);
}
