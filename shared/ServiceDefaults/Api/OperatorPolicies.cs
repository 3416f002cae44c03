using FlMicroservices.Infrastructure.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>The operator API's authorization policies, one per kind of endpoint, and the roles each admits.</summary>
public static class OperatorPolicies
{
    /// <summary>Reading tasks, rounds, clients, model versions, rewards and privacy: every role.</summary>
    public const string Read = "operator-read";

    /// <summary>Creating, cancelling, pausing and resuming tasks, promoting and rolling back models: admin and data scientist.</summary>
    public const string Operate = "operator-operate";

    /// <summary>Reading the audit log: admin and auditor.</summary>
    public const string Audit = "operator-audit";

    public static readonly IReadOnlyDictionary<string, string[]> Roles = new Dictionary<string, string[]>
    {
        [Read] = [OperatorRoles.Admin, OperatorRoles.DataScientist, OperatorRoles.Auditor],
        [Operate] = [OperatorRoles.Admin, OperatorRoles.DataScientist],
        [Audit] = [OperatorRoles.Admin, OperatorRoles.Auditor],
    };

    /// <summary>Attaches <paramref name="policy"/> to every endpoint of the group.</summary>
    public static RouteGroupBuilder RequireOperator(this RouteGroupBuilder group, string policy)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!Roles.ContainsKey(policy)) throw new ArgumentException($"'{policy}' is not an operator policy", nameof(policy));
        return group.RequireAuthorization(policy);
    }
}
