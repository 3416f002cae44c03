using System.Diagnostics;
using System.Text.Json;
using FlMicroservices.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FlMicroservices.Dashboard.Tests;

/// <summary>`fl simulate --dashboard` as a user runs it (a process of its own): its printed URL shows the run live, and its output folder overlays later.</summary>
[Collection(DashboardCollection.Name)]
public sealed class SimulateDashboardTests(DashboardPlatform platform, ITestOutputHelper output)
{
    private const int Rounds = 40;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [ChromiumFact]
    public async Task Fl_simulate_serves_its_run_live_and_its_output_folder_is_overlaid_with_a_task_on_the_runs_page()
    {
        var outDir = Path.Combine(platform.RunsDirectory, "cli-run");
        var port = ProcessRunner.FreePort();
        var (lines, fl) = Start(FlDll, "simulate", "--clients", "6", "--fraction", "1", "--rounds", $"{Rounds}", "--local-epochs", "10", "--seed", "3",
            "--out", outDir, "--dashboard", "--dashboard-port", $"{port}");
        try
        {
            var url = $"http://127.0.0.1:{port}/";
            await Ui.UntilAsync(() => Task.FromResult(lines.Any(l => l.StartsWith($"Dashboard: {url} ", StringComparison.Ordinal))), Deadline, "fl to print the dashboard's URL");
            var page = await platform.Browser.NewPageAsync();
            page.SetDefaultTimeout(60_000);
            await Ui.UntilAsync(async () => (await page.GotoAsync(url))?.Ok == true, Deadline, $"{url} to answer"); // listening once the run's host starts
            await page.Locator("[data-interactive=true]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            var link = page.Locator("[data-testid=task-link]").First; // the run's task, listed live when it is created
            await link.WaitForAsync();
            await page.GotoAsync(url + await link.GetAttributeAsync("href"));
            await page.Locator("[data-interactive=true]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
            await page.EvaluateAsync("""
                () => { window.__counts = []; new MutationObserver(() => {
                    const n = document.querySelectorAll('[data-testid=accuracy-chart] circle').length;
                    if (!window.__counts.includes(n)) window.__counts.push(n);
                }).observe(document.body, { subtree: true, childList: true }); }
                """);
            var first = await Ui.CountAsync(page, "[data-testid=accuracy-chart] circle");
            // The dashboard lives as long as the run: watch until the chart is full or the run has ended.
            try
            {
                await Ui.UntilAsync(async () => fl.HasExited || await Ui.CountAsync(page, "[data-testid=accuracy-chart] circle") == Rounds, Deadline,
                    $"{Rounds} points on the run's chart, or the run to end");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message}; the chart holds {await Ui.CountAsync(page, "[data-testid=accuracy-chart] circle")}; fl printed:\n{Tail(lines)}");
            }
            var counts = await page.EvaluateAsync<int[]>("() => window.__counts");
            var drawn = await page.Locator("[data-testid=accuracy-chart] circle").EvaluateAllAsync<double[]>("cs => cs.map(c => +c.dataset.y)");
            output.WriteLine($"points when the page was ready: {first}; counts drawn afterwards: {string.Join(", ", counts)}");
            Assert.True(counts.Any(n => n > first), $"the chart held {first} of {Rounds} points when it opened and gained none live (counts seen: {string.Join(", ", counts)})");
            Assert.Contains("127.0.0.1", await page.InnerTextAsync("[data-testid=access-notice]"));
            await DashboardPlatform.ScreenshotAsync(page, "simulate");

            using (var end = new CancellationTokenSource(Deadline)) await fl.WaitForExitAsync(end.Token);
            Assert.True(fl.ExitCode == 0, $"fl simulate exited {fl.ExitCode}:\n{Tail(lines)}");
            var written = File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("accuracy").GetDouble()).ToArray();
            Assert.Equal(Rounds, written.Length);
            Assert.Equal(written.Take(drawn.Length), drawn); // the live chart showed what the run's folder keeps

            // Later, another dashboard whose runs folder holds the run's output folder overlays it with a platform task.
            await DashboardBrowserTests.RunTaskAsync(platform, "dash-overlay", rounds: 2);
            var runs = await platform.OpenAsync("/runs");
            await runs.GetByLabel("run: cli-run").CheckAsync();
            await runs.GetByLabel("task: dash-overlay").CheckAsync();
            await runs.ClickAsync("[data-testid=overlay]");
            await runs.Locator("[data-testid=runs-accuracy]").WaitForAsync();
            Assert.Equal(Rounds, await Ui.CountAsync(runs, "[data-testid=runs-accuracy] circle[data-series=cli-run]"));
            Assert.Equal(2, await Ui.CountAsync(runs, "[data-testid=runs-accuracy] circle[data-series=dash-overlay]"));
            Assert.Equal(written[^1], double.Parse(await runs.GetAttributeAsync($"[data-testid=runs-accuracy] circle[data-series=cli-run][data-x='{Rounds}']", "data-y") ?? "",
                System.Globalization.CultureInfo.InvariantCulture));
            await DashboardPlatform.ScreenshotAsync(runs, "runs-simulate");
        }
        finally
        {
            if (!fl.HasExited) fl.Kill(entireProcessTree: true);
            fl.Dispose();
        }
    }

    private static string Tail(IReadOnlyCollection<string> lines) => string.Join('\n', lines.TakeLast(25));

    // fl from its own build output, where its static web assets manifest lies (as `dotnet run --project tools/Fl.Cli` runs it).
    private static string FlDll
    {
        get
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var dll = Path.Combine(DashboardPlatform.RepositoryRoot, "tools", "Fl.Cli", "bin", configuration, "net10.0", "fl.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: build tools/Fl.Cli first");
            return dll;
        }
    }

    private static (IReadOnlyCollection<string> Lines, Process Process) Start(string dll, params string[] arguments)
    {
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["FL_HOME"] = Path.Combine(Path.GetTempPath(), "fl-dashboard-home");
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (lines, process);
    }
}
