namespace FlMicroservices.Dashboard;

/// <summary>The operator API refused a request: its status, the input it names (<see cref="Field"/>) and every problem it listed.</summary>
public sealed class ApiProblemException(int status, string? field, string detail, IReadOnlyList<string> problems) : Exception(detail)
{
    public int Status { get; } = status;

    public string? Field { get; } = field;

    public IReadOnlyList<string> Problems { get; } = problems;

    /// <summary>Set when the dashboard's own session is over ("expired", "signed-out"): the sign-in page says why.</summary>
    public string? SignInReason { get; init; }
}
