namespace FlMicroservices.Testing;

/// <summary>Waits that retry a check until their deadline, and then fail naming what was awaited.</summary>
public static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>Retries <paramref name="condition"/> until it holds; a TimeoutException naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            await Task.Delay(Poll);
        }
    }

    /// <summary>Retries <paramref name="probe"/> until it returns a value; a TimeoutException naming <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task<T> ValueAsync<T>(Func<T?> probe, TimeSpan timeout, string what) where T : class
    {
        ArgumentNullException.ThrowIfNull(probe);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (probe() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}.");
            await Task.Delay(Poll);
        }
    }

    /// <summary>
    /// Retries an attempt that may fail (an HTTP probe, a connection) until it succeeds: each try gets at most
    /// <paramref name="perTry"/>, a failed or timed-out try is retried, and only the deadline ends the wait, with the last error.
    /// </summary>
    public static async Task<T> SucceedsAsync<T>(Func<CancellationToken, Task<T?>> attempt, TimeSpan timeout, TimeSpan perTry, string what) where T : class
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (true)
        {
            using (var cts = new CancellationTokenSource(perTry))
            {
                try
                {
                    if (await attempt(cts.Token) is { } value) return value;
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    last = e;
                }
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0} s for {what}" + (last is null ? "." : $"; last error: {last.Message}"), last);
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
