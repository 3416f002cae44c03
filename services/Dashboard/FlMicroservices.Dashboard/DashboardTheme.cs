using MudBlazor;

namespace FlMicroservices.Dashboard;

/// <summary>The dashboard's colours: dark enough on white for WCAG AA text contrast, and the system font (no web fonts).</summary>
public static class DashboardTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1d4f91",
            Secondary = "#6a3d9a",
            Success = "#1b6e20",
            Error = "#b3261e",
            Warning = "#8a5300",
            Info = "#0b5c80",
            AppbarBackground = "#1d4f91",
            TextSecondary = "rgba(0,0,0,0.70)",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
