namespace FlMicroservices.Dashboard.Views;

/// <summary>A task's privacy account (GET /api/tasks/{id}/privacy).</summary>
public sealed record PrivacyView(string TaskId, bool Enabled, string Mechanism, string? Accountant, double EpsilonSpent, double Delta, double EpsilonBudget,
    double? Remaining, double NoiseMultiplier, int Total);
