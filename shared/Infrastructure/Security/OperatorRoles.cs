namespace FlMicroservices.Infrastructure.Security;

/// <summary>The operator API's roles, as a token's role claim names them (docs/operator-api.md, "Authentication and roles").</summary>
public static class OperatorRoles
{
    /// <summary>Everything, including the audit log.</summary>
    public const string Admin = "admin";

    /// <summary>Creates and operates tasks, promotes and rolls back models, reads everything but the audit log.</summary>
    public const string DataScientist = "data-scientist";

    /// <summary>Reads everything, including the audit log and the privacy ledgers; changes nothing.</summary>
    public const string Auditor = "auditor";

    public static readonly IReadOnlyList<string> All = [Admin, DataScientist, Auditor];
}
