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

    public static Task<int> CountAsync(IPage page, string selector) => page.Locator(selector).CountAsync();
}
