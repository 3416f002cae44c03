using Microsoft.Playwright;

namespace FlMicroservices.Dashboard.Tests;

/// <summary>Waits and counts on pages: every wait retries until its deadline, since the CI machine is slow and no step is timed.</summary>
internal static class Ui
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (PlaywrightException) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow >= deadline) throw new TimeoutException($"Waited {timeout.TotalSeconds:F0} s for {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>The first non-null answer of <paramref name="find"/>, asked until <paramref name="timeout"/>.</summary>
    public static async Task<T> FirstAsync<T>(Func<Task<T?>> find, TimeSpan timeout, string what) where T : class
    {
        T? found = null;
        await UntilAsync(async () => (found = await find()) is not null, timeout, what);
        return found!;
    }

    public static Task<int> CountAsync(IPage page, string selector) => page.Locator(selector).CountAsync();
}
