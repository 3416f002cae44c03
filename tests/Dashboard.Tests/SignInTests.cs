using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.ServiceDefaults.Api;
using FlMicroservices.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace FlMicroservices.Dashboard.Tests;

/// <summary>People sign in to a dashboard of its own with their operator token; the API sees each person, and a bad token is refused saying why.</summary>
[Collection(DashboardCollection.Name)]
public sealed class SignInTests(DashboardPlatform platform)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(4);

    [ChromiumFact]
    public async Task An_unauthenticated_visit_is_sent_to_sign_in_and_bad_tokens_are_refused_with_the_reason()
    {
        var dashboard = await platform.StartDashboardAsync();
        await using var person = await platform.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var page = await person.NewPageAsync();
        page.SetDefaultTimeout(60_000);

        await page.GotoAsync(dashboard + "/fleet");
        await page.WaitForURLAsync("**/signin?ReturnUrl=%2Ffleet");
        Assert.Empty(await page.Locator("[data-testid=client-table]").AllAsync());
        await DashboardPlatform.ScreenshotAsync(page, "signin");

        async Task<string> RefusalAsync(string token)
        {
            await page.FillAsync("#operator-token", token);
            await page.ClickAsync("[data-testid=signin-submit]");
            var error = page.Locator("[data-testid=signin-error]");
            await error.WaitForAsync();
            Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
            return await error.InnerTextAsync();
        }

        Assert.Contains("this is not a JWT", await RefusalAsync("not-a-token"));
        var forged = DevelopmentIssuer.Mint(RandomNumberGenerator.GetBytes(DevelopmentIssuer.KeyBytes), "mallory", OperatorRoles.Admin, TimeSpan.FromHours(1));
        Assert.Contains("signature does not verify", await RefusalAsync(forged));
        var expired = platform.Token(OperatorRoles.Admin, "ada", TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Contains("the token expired at", await RefusalAsync(expired));
        var roleless = platform.Token("intern", "ada");
        Assert.Contains("names no operator role", await RefusalAsync(roleless));
        await DashboardPlatform.ScreenshotAsync(page, "signin-refused");

        // Still nobody: the pages send the browser back to sign in.
        await page.GotoAsync(dashboard + "/");
        await page.WaitForURLAsync("**/signin?ReturnUrl=%2F");
    }

    [ChromiumFact]
    public async Task An_admin_signs_in_creates_a_task_that_the_audit_log_records_as_theirs_and_signs_out()
    {
        var dashboard = await platform.StartDashboardAsync();
        await using var ada = await platform.Browser.NewContextAsync();
        var page = await DashboardPlatform.SignInAsync(ada, dashboard, platform.Token(OperatorRoles.Admin, "ada"), "/");
        Assert.Equal("ada · admin", (await page.InnerTextAsync("[data-testid=signed-in]")).Trim());
        Assert.Contains("Signed in as ada until", await page.InnerTextAsync("[data-testid=access-notice]"));

        await page.FillAsync("#task-id", "dash-by-ada");
        await page.FillAsync("#task-rounds", "1");
        await page.ClickAsync("[data-testid=start-task]");
        await page.WaitForURLAsync("**/tasks/dash-by-ada");
        await DashboardPlatform.ScreenshotAsync(page, "signed-in", fullPage: false);

        // The API's audit log names ada, as her token does, not the single-user dashboard's or any shared identity.
        var audit = platform.Services.GetRequiredService<AuditLog>();
        var entry = await Ui.FirstAsync(async () => (await audit.ListAsync(CancellationToken.None))
            .FirstOrDefault(e => e.Action == "POST /api/tasks" && e.Outcome == "done" && e.Caller == "ada"), Deadline, "ada's task creation in the audit log");
        Assert.Equal("admin", entry.Roles);
        Assert.Equal(201, entry.Status);
        using var admin = platform.AdminApi();
        Assert.Equal(System.Net.HttpStatusCode.OK, (await admin.GetAsync("/api/tasks/dash-by-ada")).StatusCode);

        await page.ClickAsync("[data-testid=signout]");
        await page.WaitForURLAsync("**/signin?reason=signed-out");
        Assert.Contains("You are signed out", await page.InnerTextAsync("[data-testid=signin-notice]"));
        await page.GotoAsync(dashboard + "/tasks/dash-by-ada");
        await page.WaitForURLAsync("**/signin?ReturnUrl=*");
    }

    [ChromiumFact]
    public async Task An_expired_session_sends_the_person_back_to_sign_in_saying_so()
    {
        var dashboard = await platform.StartDashboardAsync();
        await using var grace = await platform.Browser.NewContextAsync();
        var lifetime = TimeSpan.FromSeconds(20);
        var token = platform.Token(OperatorRoles.DataScientist, "grace", lifetime, DateTimeOffset.UtcNow);
        var expires = DateTimeOffset.UtcNow + lifetime;
        var page = await DashboardPlatform.SignInAsync(grace, dashboard, token, "/fleet");
        Assert.Equal("grace · data-scientist", (await page.InnerTextAsync("[data-testid=signed-in]")).Trim());

        // After the token's expiry, the next page load ends the session and says why.
        await Task.Delay(expires - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1) is { Ticks: > 0 } wait ? wait : TimeSpan.Zero);
        await page.GotoAsync(dashboard + "/rewards");
        await page.WaitForURLAsync("**/signin?ReturnUrl=%2Frewards&reason=expired");
        Assert.Contains("Your token has expired", await page.InnerTextAsync("[data-testid=signin-notice]"));
        await DashboardPlatform.ScreenshotAsync(page, "signin-expired");
    }
}
