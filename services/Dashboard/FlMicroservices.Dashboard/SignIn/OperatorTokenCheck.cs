namespace FlMicroservices.Dashboard.SignIn;

/// <summary>The outcome of checking a pasted token: who it names, with which roles and until when, or why it is refused.</summary>
public sealed record OperatorTokenCheck(bool Valid, string? Reason, string Name, string? Subject, IReadOnlyList<string> Roles, DateTimeOffset Expires, string Token)
{
    public static OperatorTokenCheck Refused(string reason) => new(false, reason, "", null, [], default, "");
}
