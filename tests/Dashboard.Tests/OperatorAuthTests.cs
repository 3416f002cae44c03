using System.Net.Http.Json;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Security;
using Microsoft.Playwright;

namespace FlMicroservices.Dashboard.Tests;

/// <summary>The dashboard against an operator API that checks tokens: an auditor signed in reads every page, and each change they try is refused, saying why.</summary>
[Collection(DashboardCollection.Name)]
public sealed class OperatorAuthTests(DashboardPlatform platform)
{
    private const string Refusal = "(role auditor) may not call POST";
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [ChromiumFact]
    public async Task An_auditors_dashboard_shows_the_pages_and_is_refused_create_cancel_and_promote_with_the_reason()
    {
        await DashboardBrowserTests.RunTaskAsync(platform, "dash-audited", rounds: 2);
        using var admin = platform.AdminApi();
        // A task that stays open while the auditor tries to cancel it: paused by an admin.
        var spec = new TaskSpec { ModelName = "logreg", SampleShape = [60], ClassCount = 10, Rounds = 1000, ClientFraction = 1, Training = new TrainingConfig(1, 10, 0.1) };
        using (var created = await admin.PostAsJsonAsync("/api/tasks", new { taskId = "dash-waiting", spec }, new JsonSerializerOptions(JsonSerializerDefaults.Web)))
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        // The selector knows the task once its TaskCreated arrives: ask until then.
        await Ui.UntilAsync(async () => (await admin.PostAsync("/api/tasks/dash-waiting/pause", null)).IsSuccessStatusCode, Deadline, "the task to pause");
        var auditor = await platform.StartDashboardAsync();
        await using var person = await platform.Browser.NewContextAsync();

        var tasks = await DashboardPlatform.SignInAsync(person, auditor, platform.Token(OperatorRoles.Auditor, "alan"), "/");
        Assert.Equal("alan · auditor", (await tasks.InnerTextAsync("[data-testid=signed-in]")).Trim());
        await tasks.Locator("[data-testid=task-link]", new() { HasText = "dash-audited" }).WaitForAsync();
        await tasks.FillAsync("#task-id", "dash-by-auditor");
        await tasks.ClickAsync("[data-testid=start-task]");
        var error = tasks.Locator("[data-testid=create-error]");
        await error.WaitForAsync();
        var text = await error.InnerTextAsync();
        Assert.Contains(Refusal, text);
        Assert.Contains("it needs the role admin or data-scientist", text);
        await DashboardPlatform.ScreenshotAsync(tasks, "auditor-refused");

        await tasks.ClickAsync("[aria-label='Cancel dash-waiting']");
        await Ui.UntilAsync(async () => (await tasks.InnerTextAsync("body")).Contains($"cancel dash-waiting: caller", StringComparison.Ordinal), Deadline, "the cancel refusal");
        Assert.Contains("/api/tasks/dash-waiting/cancel", await tasks.InnerTextAsync("body"));

        var models = await Open(person, auditor, "/tasks/dash-audited/models");
        await Ui.UntilAsync(async () => await models.InnerTextAsync("[data-testid=models-current]") == "2", Deadline, "the auditor to see version 2 current");
        await models.ClickAsync("[aria-label='Promote version 1']");
        await Ui.UntilAsync(async () => (await models.InnerTextAsync("[data-testid=models-error]")).Contains(Refusal, StringComparison.Ordinal), Deadline, "the promote refusal");
        Assert.Equal("2", await models.InnerTextAsync("[data-testid=models-current]"));

        var fleet = await Open(person, auditor, "/fleet");
        await Ui.UntilAsync(async () => await Ui.CountAsync(fleet, "[data-testid=client-table] tbody tr") > 0, Deadline, "the fleet page to list clients");

        // Nothing changed: the refusals were the API's, not only the page's.
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await admin.GetAsync("/api/tasks/dash-by-auditor")).StatusCode);
        var waiting = await admin.GetFromJsonAsync<JsonElement>("/api/tasks/dash-waiting");
        Assert.Equal("Paused", waiting.GetProperty("task").GetProperty("state").GetString());
        (await admin.PostAsync("/api/tasks/dash-waiting/cancel", null)).EnsureSuccessStatusCode();
    }

    // Another page in the same person's browser (their session cookie), once interactive.
    private static async Task<IPage> Open(IBrowserContext person, string dashboard, string path)
    {
        var page = await person.NewPageAsync();
        page.SetDefaultTimeout(60_000);
        await page.GotoAsync(dashboard + path);
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached, Timeout = 60_000 });
        return page;
    }
}
