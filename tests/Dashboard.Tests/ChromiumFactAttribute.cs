namespace FlMicroservices.Dashboard.Tests;

/// <summary>A browser test: skipped, with a message naming the browser, only where Debian's chromium is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (BrowserPath.Chromium is null)
            Skip = $"Debian's chromium is not installed ({BrowserPath.Candidate} is missing; scripts/test.sh installs it with apt-get install chromium)";
    }
}

/// <summary>Where the system Chromium is; Playwright's own browser download is never used (it cannot be reached).</summary>
public static class BrowserPath
{
    public const string Candidate = "/usr/bin/chromium";

    public static string? Chromium =>
        Environment.GetEnvironmentVariable("FL_CHROMIUM") is { Length: > 0 } custom && File.Exists(custom) ? custom : File.Exists(Candidate) ? Candidate : null;
}
