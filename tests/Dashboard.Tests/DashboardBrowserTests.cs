using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Registry;
using FlMicroservices.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FlMicroservices.Dashboard.Tests;

/// <summary>The dashboard in headless chromium over a live embedded platform: each page as an operator uses it.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardBrowserTests(DashboardPlatform platform, ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [ChromiumFact]
    public async Task A_task_created_through_the_form_gains_chart_points_live_as_its_rounds_complete()
    {
        var page = await platform.OpenAsync("/");
        // Each time the chart gains a point, the browser notes when (its clock is this machine's clock).
        await page.EvaluateAsync("""
            () => { window.__points = {}; new MutationObserver(() => {
                const n = document.querySelectorAll('[data-testid=accuracy-chart] circle').length;
                if (n && !(n in window.__points)) window.__points[n] = Date.now();
            }).observe(document.body, { subtree: true, childList: true }); }
            """);
        await page.FillAsync("#task-id", "dash-live");
        await page.FillAsync("#task-rounds", "4");
        await page.FillAsync("#task-lr", "0.1");
        await page.ClickAsync("[data-testid=start-task]");
        try { await page.WaitForURLAsync("**/tasks/dash-live"); }
        catch (TimeoutException e) { throw new TimeoutException($"{e.Message}; the page says: {await page.InnerTextAsync("main")}", e); }
        await Ui.UntilAsync(async () => await Ui.CountAsync(page, "[data-testid=accuracy-chart] circle") >= 4, Deadline, "4 points on the accuracy chart");

        var rounds = platform.Events.All.Select(e => (e.Message, e.SeenAt))
            .Where(e => e.Message is RoundCompleted { TaskId: "dash-live", Succeeded: true }).ToArray();
        Assert.Equal(4, rounds.Length);
        Assert.Equal(4, await Ui.CountAsync(page, "[data-testid=loss-chart] circle"));
        var drawn = await page.EvaluateAsync<Dictionary<string, long>>("() => window.__points");
        var accuracies = await page.Locator("[data-testid=accuracy-chart] circle").EvaluateAllAsync<double[]>("cs => cs.map(c => +c.dataset.y)");
        Assert.Equal(rounds.Select(r => ((RoundCompleted)r.Message).Accuracy!.Value), accuracies);
        foreach (var (message, seenAt) in rounds)
        {
            var round = ((RoundCompleted)message).Round;
            if (drawn.TryGetValue(round.ToString(CultureInfo.InvariantCulture), out var at))
                output.WriteLine($"round {round}: RoundCompleted to chart point {(DateTimeOffset.FromUnixTimeMilliseconds(at) - seenAt).TotalMilliseconds:F0} ms");
        }
        Console.WriteLine($"dashboard latency (RoundCompleted on the bus to the point drawn in chromium): {string.Join(", ",
            rounds.Select(r => (((RoundCompleted)r.Message).Round, drawn.GetValueOrDefault(((RoundCompleted)r.Message).Round.ToString(CultureInfo.InvariantCulture))))
                .Where(r => r.Item2 > 0)
                .Select(r => $"round {r.Round} {(DateTimeOffset.FromUnixTimeMilliseconds(r.Item2) - rounds.First(x => ((RoundCompleted)x.Message).Round == r.Round).SeenAt).TotalMilliseconds:F0} ms"))}");
        await Ui.UntilAsync(async () => await page.Locator("[data-testid=task-state]").First.InnerTextAsync() == "Completed", Deadline, "the task to show Completed");
        Assert.Contains("no differential privacy", await page.InnerTextAsync("[data-testid=epsilon]"));
        Assert.Contains("off", await page.InnerTextAsync("[data-testid=secagg]"));
        await DashboardPlatform.ScreenshotAsync(page, "task");

        var list = await platform.OpenAsync("/");
        await list.Locator("[data-testid=task-link]", new() { HasText = "dash-live" }).WaitForAsync();
        await DashboardPlatform.ScreenshotAsync(list, "tasks");
    }

    [ChromiumFact]
    public async Task A_bad_learning_rate_is_refused_naming_the_field()
    {
        var page = await platform.OpenAsync("/");
        await page.FillAsync("#task-id", "dash-bad");
        await page.FillAsync("#task-lr", "0");
        await page.ClickAsync("[data-testid=start-task]");

        var error = page.Locator("[data-testid=create-error]");
        await error.WaitForAsync();
        var text = await error.InnerTextAsync();
        Assert.Contains("spec.training.learningRate", text);
        Assert.Contains("LearningRate 0 must be a positive number", text);
        // The field itself is marked, its message beside it.
        Assert.Equal("true", await page.GetAttributeAsync("#task-lr", "aria-invalid"));
        await DashboardPlatform.ScreenshotAsync(page, "create-error");
        using var http = platform.AdminApi();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("/api/tasks/dash-bad")).StatusCode);
    }

    [ChromiumFact]
    public async Task Rolling_back_a_version_makes_it_current_on_the_models_and_task_pages()
    {
        await RunTaskAsync("dash-rollback", rounds: 3);
        var page = await platform.OpenAsync("/tasks/dash-rollback/models");
        await Ui.UntilAsync(async () => await page.InnerTextAsync("[data-testid=models-current]") == "3", Deadline, "version 3 to be current");

        await page.FillAsync("#rollback-to", "1");
        await page.FillAsync("#rollback-reason", "browser test");
        await page.ClickAsync("[data-testid=rollback]");

        await Ui.UntilAsync(async () => await page.InnerTextAsync("[data-testid=models-current]") == "1", Deadline, "version 1 to be current");
        Assert.Contains("current", await page.InnerTextAsync("[data-testid=role-1]"));
        Assert.DoesNotContain("current", await page.InnerTextAsync("[data-testid=role-3]"));
        Assert.Contains("browser test", await page.InnerTextAsync("[data-testid=promotions]"));
        await page.FillAsync("#compare-a", "1");
        await page.FillAsync("#compare-b", "3");
        await page.ClickAsync("[data-testid=compare]");
        await page.Locator("[data-testid=comparison]").WaitForAsync();
        await DashboardPlatform.ScreenshotAsync(page, "models");

        var task = await platform.OpenAsync("/tasks/dash-rollback");
        await Ui.UntilAsync(async () => await task.InnerTextAsync("[data-testid=current-version]") == "1", Deadline, "the task page to show version 1 current");
    }

    [ChromiumFact]
    public async Task The_fleet_page_pages_100000_registered_clients_on_the_server()
    {
        const int Extra = 100_000;
        var catalog = platform.Services.GetRequiredService<TaskCatalog>();
        var health = platform.Services.GetRequiredService<IClientHealthStore>();
        if (catalog.FindClient("fleet-099999") is null)
        {
            var now = DateTimeOffset.UtcNow;
            // A data set and model no task here asks for, so that the selector never picks these clients.
            ClientDataset[] datasets = [new("camera", [3, 32, 32], 10, 500)];
            for (var i = 0; i < Extra; i++)
            {
                var id = $"fleet-{i:D6}";
                await catalog.RecordClientAsync(id, new ClientCapabilities(500 + i % 1000, 1 + i % 8, (1L + i % 16) << 30, ["resnet"], datasets), now, CancellationToken.None);
                await health.UpsertAsync(new ClientHealth(id, i % 10 == 0 ? ClientStatus.Unhealthy : ClientStatus.Healthy, now, 500, 0.3, 1L << 29, datasets),
                    CancellationToken.None);
            }
        }
        var total = catalog.Clients.Count;
        Assert.True(total >= Extra + 6);

        var page = await platform.OpenAsync("/fleet");
        await Ui.UntilAsync(async () => await page.InnerTextAsync("[data-testid=client-total]") == $"{total.ToString("N0", CultureInfo.InvariantCulture)} clients",
            Deadline, $"{total} clients counted");
        await Ui.UntilAsync(async () => await Ui.CountAsync(page, "[data-testid=client-table] tbody tr") == 50, Deadline, "a page of 50 rows");
        await page.FillAsync("#fleet-dataset", "camera");
        await page.ClickAsync("[data-testid=fleet-filter]");
        await Ui.UntilAsync(async () => await page.InnerTextAsync("[data-testid=client-total]") == "100,000 clients", Deadline, "the camera clients only");
        await page.GetByText("Examples").ClickAsync(); // sort by examples on the server
        await Ui.UntilAsync(async () => (await page.Locator("[data-testid=client-table] tbody tr").First.InnerTextAsync()).Contains("500\t", StringComparison.Ordinal),
            Deadline, "the fewest examples first");

        // Participation: a round (recorded as the registry's consumer records a RoundCompleted) that rejected one camera client's update.
        await platform.Services.GetRequiredService<ParticipationLedger>().RecordRoundAsync(new RoundCompleted("fleet-check", 1, 1, true, false, null, null,
            ["fleet-000007", "fleet-000008"], [new Contribution("fleet-000008", 507, 1.0, 0.5)], [new RejectedUpdate("fleet-000007", "update norm 9E+08 is over the bound")], [],
            null, DateTimeOffset.UtcNow), CancellationToken.None);
        await page.GetByLabel("Only clients with rejections").CheckAsync();
        await Ui.UntilAsync(async () => await page.InnerTextAsync("[data-testid=client-total]") == "1 clients", Deadline, "the one camera client with a rejection");
        var row = page.Locator("[data-testid=client-table] tbody tr").First;
        Assert.StartsWith("fleet-000007", await row.InnerTextAsync());
        Assert.Equal("1 · 0 · 0", (await row.Locator("[data-testid=participation]").InnerTextAsync()).Trim());
        Assert.Equal("last in task fleet-check round 1: update norm 9E+08 is over the bound", await row.Locator("[data-testid=last-rejection]").InnerTextAsync());
        await DashboardPlatform.ScreenshotAsync(page, "fleet", fullPage: false);
        await page.GetByLabel("Only clients with rejections").UncheckAsync();
        await Ui.UntilAsync(async () => await page.InnerTextAsync("[data-testid=client-total]") == "100,000 clients", Deadline, "every camera client again");
        await page.Locator("[data-testid=client-table] thead").GetByText("Rounds", new() { Exact = true }).ClickAsync(); // by rounds selected, on the server: the check's two clients first among the cameras
        await page.Locator("[data-testid=client-table] thead").GetByText("Rounds", new() { Exact = true }).ClickAsync();
        await Ui.UntilAsync(async () => (await page.Locator("[data-testid=client-table] tbody tr").First.InnerTextAsync()).StartsWith("fleet-000007", StringComparison.Ordinal),
            Deadline, "the most selected camera client first");

        // Sort by last heartbeat on the server: one camera client reported a minute ahead of the rest, so newest first puts it on top.
        var fresh = await health.GetAsync("fleet-042424", CancellationToken.None);
        await health.UpsertAsync(fresh! with { LastSeen = DateTimeOffset.UtcNow.AddMinutes(1) }, CancellationToken.None);
        var heartbeat = page.Locator("[data-testid=client-table] thead").GetByText("Last heartbeat", new() { Exact = true });
        await heartbeat.ClickAsync();
        await heartbeat.ClickAsync();
        await Ui.UntilAsync(async () => (await page.Locator("[data-testid=client-table] tbody tr").First.InnerTextAsync()).StartsWith("fleet-042424", StringComparison.Ordinal),
            Deadline, "the latest heartbeat first");
    }

    [ChromiumFact]
    public async Task Two_runs_are_overlaid_on_the_runs_page()
    {
        WriteRun("run-a", [0.40, 0.55, 0.61]);
        WriteRun("run-b", [0.30, 0.45, 0.52, 0.58, 0.60]);
        var page = await platform.OpenAsync("/runs");
        await page.GetByLabel("run: run-a").CheckAsync();
        await page.GetByLabel("run: run-b").CheckAsync();
        await page.ClickAsync("[data-testid=overlay]");

        var chart = page.Locator("[data-testid=runs-accuracy]");
        await chart.WaitForAsync();
        Assert.Equal(3, await Ui.CountAsync(page, "[data-testid=runs-accuracy] circle[data-series=run-a]"));
        Assert.Equal(5, await Ui.CountAsync(page, "[data-testid=runs-accuracy] circle[data-series=run-b]"));
        Assert.Equal("0.6", await page.GetAttributeAsync("[data-testid=runs-accuracy] circle[data-series=run-b][data-x='5']", "data-y"));
        await DashboardPlatform.ScreenshotAsync(page, "runs");
    }

    [ChromiumFact]
    public async Task Rewards_show_balances_and_each_rounds_payouts_and_the_layout_holds_at_tablet_width()
    {
        await RunTaskAsync("dash-rewards", rounds: 2);
        var page = await platform.OpenAsync("/rewards");
        await Ui.UntilAsync(async () => await Ui.CountAsync(page, "[data-testid=balance-table] tbody tr td") > 1, Deadline, "balances");
        await DashboardPlatform.ScreenshotAsync(page, "rewards");

        var tablet = await platform.OpenAsync("/tasks/dash-rewards", width: 768, height: 1024);
        await Ui.UntilAsync(async () => await Ui.CountAsync(tablet, "[data-testid=accuracy-chart] circle") == 2, Deadline, "2 points at tablet width");
        var overflow = await tablet.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"the page is {overflow} px wider than a 768 px tablet");
        await DashboardPlatform.ScreenshotAsync(tablet, "task-tablet");
    }

    private Task RunTaskAsync(string taskId, int rounds) => RunTaskAsync(platform, taskId, rounds);

    /// <summary>Creates <paramref name="taskId"/> through the operator API as an admin and waits until it completes (once per fixture).</summary>
    public static async Task RunTaskAsync(DashboardPlatform platform, string taskId, int rounds)
    {
        if (platform.Events.All.Any(e => e.Message is TaskCompleted c && c.TaskId == taskId)) return;
        using var http = platform.AdminApi();
        var spec = new TaskSpec
        {
            ModelName = "logreg", SampleShape = [60], ClassCount = 10, Rounds = rounds, ClientFraction = 1, Training = new TrainingConfig(1, 10, 0.1),
        };
        using var created = await http.PostAsJsonAsync("/api/tasks", new { taskId, spec }, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        await Eventually.TrueAsync(() => platform.Events.All.Any(e => e.Message is TaskCompleted c && c.TaskId == taskId), Deadline, $"{taskId} to complete");
    }

    private void WriteRun(string name, double[] accuracy)
    {
        var folder = Path.Combine(platform.RunsDirectory, name);
        Directory.CreateDirectory(folder);
        File.WriteAllLines(Path.Combine(folder, "metrics.jsonl"),
            accuracy.Select((a, i) => JsonSerializer.Serialize(new { round = i + 1, accuracy = a, loss = 2 - a })));
    }

}
