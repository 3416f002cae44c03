using Microsoft.AspNetCore.Components;

namespace FlMicroservices.Dashboard.SignIn;

/// <summary>When a call fails because the person's session is over (their token expired, or the API refuses it), sends them to sign in again, saying why.</summary>
public static class SessionEnd
{
    /// <summary>True when it navigated to the sign-in page (never in single-user mode, where nobody signs in).</summary>
    public static bool Redirect(NavigationManager navigation, DashboardOptions options, Exception failure)
    {
        ArgumentNullException.ThrowIfNull(navigation);
        ArgumentNullException.ThrowIfNull(options);
        if (options.SingleUser || failure is not ApiProblemException { Status: 401 } problem) return false;
        var back = "/" + navigation.ToBaseRelativePath(navigation.Uri);
        navigation.NavigateTo($"signin?reason={problem.SignInReason ?? "refused"}&ReturnUrl={Uri.EscapeDataString(back)}", forceLoad: true);
        return true;
    }
}
