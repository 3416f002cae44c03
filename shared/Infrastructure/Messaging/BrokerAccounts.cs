using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>Who may publish what on the broker: one account per process kind (docs/security.md, "Broker accounts").</summary>
public static class BrokerAccounts
{
    public static readonly BrokerAccount Registry = new("registry", "fl-microservices-registry-",
        [typeof(TaskCreated), typeof(TaskRejected), typeof(ClientRegistered), typeof(ClientRejected)], null);

    public static readonly BrokerAccount Selector = new("selector", "fl-microservices-selector-",
        [typeof(RoundStarted), typeof(TaskCompleted), typeof(CheckPrivacyBudget)], null);

    public static readonly BrokerAccount Aggregation = new("aggregation", "fl-microservices-aggregation-",
        [typeof(RoundAggregated), typeof(SecAggServerMessage), typeof(ShardClientState), typeof(ShardRoundReported), typeof(ShardRoundDecided), typeof(ShardRoundFinished)], null);

    public static readonly BrokerAccount PrivacyAccounting = new("privacy-accounting", "fl-microservices-privacy-accounting-",
        [typeof(PrivacyBudgetUpdated), typeof(PrivacyBudgetExhausted), typeof(PrivacyBudgetDecision)], null);

    public static readonly BrokerAccount ModelRegistry = new("model-registry", "fl-microservices-model-registry-",
        [typeof(ModelVersionPublished), typeof(RoundCompleted), typeof(ModelVersionPromoted)], null);

    public static readonly BrokerAccount Reward = new("reward", "fl-microservices-reward-", [typeof(RewardsIssued)], null);

    /// <summary>A node: registers its clients, heartbeats, submits (or declines) updates and takes part in secure rounds; it reads only what it acts on.</summary>
    public static readonly BrokerAccount Node = new("node", "fl-microservices-node-",
        [typeof(RegisterClient), typeof(ClientHeartbeat), typeof(ClientHeartbeats), typeof(UpdateSubmitted), typeof(UpdateDeclined), typeof(MaskedUpdateSubmitted), typeof(SecAggClientMessage)],
        [typeof(RoundStarted), typeof(SecAggServerMessage)]);

    /// <summary>The edge: publishes what nodes behind it send, after its checks, and reads what it pushes to them.</summary>
    public static readonly BrokerAccount Edge = new("edge", "fl-microservices-edge-", Node.Publishes, Node.Consumes);

    /// <summary>The operators' dashboard: it publishes nothing and reads only the events its open pages follow.</summary>
    public static readonly BrokerAccount Dashboard = new("dashboard", "fl-microservices-dashboard-", [],
        [typeof(TaskCreated), typeof(RoundStarted), typeof(RoundCompleted), typeof(ModelVersionPublished), typeof(TaskCompleted)]);

    public static IReadOnlyList<BrokerAccount> All { get; } = [Registry, Selector, Aggregation, PrivacyAccounting, ModelRegistry, Reward, Node, Edge, Dashboard];

    /// <summary>
    /// Every account as tab-separated lines: name, user, configure, write and read patterns (docker/rabbitmq/accounts.tsv,
    /// which scripts/infra.sh and scripts/compose-secrets.sh read; `fl events accounts` prints it).
    /// </summary>
    public static string Tsv() => string.Concat(All.Select(a =>
    {
        var (configure, write, read) = a.Permissions();
        return $"{a.Name}\t{a.User}\t{configure}\t{write}\t{read}\n";
    }));

    /// <summary>The account called <paramref name="name"/>; an exception naming the known ones otherwise.</summary>
    public static BrokerAccount Named(string name) => All.FirstOrDefault(a => a.Name == name)
        ?? throw new InvalidOperationException($"Invalid configuration: there is no broker account '{name}' (known: {string.Join(", ", All.Select(a => a.Name))}).");
}
