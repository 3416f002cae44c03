using System.Text.RegularExpressions;
using MassTransit;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>
/// One process kind's own RabbitMQ user: it may publish only <see cref="Publishes"/>, and (when <see cref="Consumes"/> is
/// given) read only those messages; its queues all start with <see cref="QueuePrefix"/> (docs/security.md, "Broker accounts").
/// </summary>
/// <param name="Name">The account's name, e.g. "selector"; its user is fl-NAME.</param>
/// <param name="QueuePrefix">What every queue (and queue exchange) of the process's consumers starts with.</param>
/// <param name="Publishes">The message types it publishes or sends.</param>
/// <param name="Consumes">The message types it may read; null for every message of the contracts (the platform's services).</param>
public sealed record BrokerAccount(string Name, string QueuePrefix, Type[] Publishes, Type[]? Consumes)
{
    /// <summary>MassTransit's temporary bus endpoints (host_process_bus_id): where responses to requests go.</summary>
    public const string BusEndpoints = "[^:]*_bus_[a-z0-9]+";

    /// <summary>
    /// Exchanges of the faults MassTransit publishes (declared and written): a consumer gave up on a message (Fault--T--), or a
    /// message could not be read at all (ReceiveFault); both are bound to MassTransit:Fault, which is declared and written too.
    /// </summary>
    public const string FaultExchanges = "MassTransit:(Fault|Fault--.*|ReceiveFault)";

    /// <summary>The fault exchanges an account reads: binding ReceiveFault (or Fault--T-- of a message it reads) to MassTransit:Fault needs read on it.</summary>
    private static string FaultSources(IEnumerable<string> readable) =>
        "MassTransit:(ReceiveFault|Fault--(" + string.Join("|", readable) + ")--)";

    public string User => "fl-" + Name;

    /// <summary>The exchange MassTransit publishes <paramref name="messageType"/> to.</summary>
    public static string ExchangeOf(Type messageType) => MessageUrn.ForTypeString(messageType)["urn:message:".Length..];

    /// <summary>RabbitMQ's configure, write and read permission patterns for this account (set_permissions).</summary>
    public (string Configure, string Write, string Read) Permissions()
    {
        var own = Regex.Escape(QueuePrefix) + ".*";
        var published = Publishes.Select(t => Regex.Escape(ExchangeOf(t)));
        var readable = Consumes is null ? [Regex.Escape("FlMicroservices.Contracts.V1:") + ".*"] : Consumes.Select(t => Regex.Escape(ExchangeOf(t)));
        var declared = Publishes.Concat(Consumes ?? []).Select(t => Regex.Escape(ExchangeOf(t))).Concat(Consumes is null ? readable : []);
        return (Pattern([own, BusEndpoints, FaultExchanges, .. declared]),
            Pattern([own, BusEndpoints, FaultExchanges, .. published]),
            Pattern([own, BusEndpoints, FaultSources(readable), .. readable]));
    }

    private static string Pattern(IEnumerable<string> alternatives) => "^(" + string.Join("|", alternatives.Distinct()) + ")$";
}
