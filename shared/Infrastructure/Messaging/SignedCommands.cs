using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>The messages parties act on that carry their issuing service's signature (docs/security.md, "Signed commands").</summary>
public static class SignedCommands
{
    private static readonly Dictionary<Type, SignedCommand> Kinds = new()
    {
        [typeof(RoundStarted)] = new SignedCommand<RoundStarted>(BrokerAccounts.Selector,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round}"),
        [typeof(SecAggServerMessage)] = new SignedCommand<SecAggServerMessage>(BrokerAccounts.Aggregation,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round} for {m.RecipientClientId}"),
        [typeof(RoundCompleted)] = new SignedCommand<RoundCompleted>(BrokerAccounts.ModelRegistry,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round}"),
        [typeof(TaskCreated)] = new SignedCommand<TaskCreated>(BrokerAccounts.Registry,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => m.TaskId),
        [typeof(RoundAggregated)] = new SignedCommand<RoundAggregated>(BrokerAccounts.Aggregation,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round}"),
        [typeof(ModelVersionPublished)] = new SignedCommand<ModelVersionPublished>(BrokerAccounts.ModelRegistry,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round} (version {m.Version})"),
        [typeof(ClientRegistered)] = new SignedCommand<ClientRegistered>(BrokerAccounts.Registry,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => m.ClientId),
        [typeof(TaskCompleted)] = new SignedCommand<TaskCompleted>(BrokerAccounts.Selector,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => m.TaskId),
        [typeof(RewardsIssued)] = new SignedCommand<RewardsIssued>(BrokerAccounts.Reward,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round}"),
        [typeof(PrivacyBudgetDecision)] = new SignedCommand<PrivacyBudgetDecision>(BrokerAccounts.PrivacyAccounting,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round}"),
        // The aggregation's instances to one another (Aggregation:ShardCount > 1): every instance holds the aggregation's key.
        [typeof(ShardRoundReported)] = new SignedCommand<ShardRoundReported>(BrokerAccounts.Aggregation,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round} from shard {m.Shard}"),
        [typeof(ShardRoundDecided)] = new SignedCommand<ShardRoundDecided>(BrokerAccounts.Aggregation,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round}"),
        [typeof(ShardRoundFinished)] = new SignedCommand<ShardRoundFinished>(BrokerAccounts.Aggregation,
            m => m.IssuerSignature, (m, s) => m with { IssuerSignature = s }, m => $"{m.TaskId}/{m.Round} from shard {m.Shard}"),
    };

    /// <summary>The signed message types.</summary>
    public static IReadOnlyCollection<Type> Types => Kinds.Keys;

    /// <summary>How <typeparamref name="T"/> is signed; an exception when it is not a signed message.</summary>
    public static SignedCommand<T> Of<T>() where T : class =>
        Kinds.TryGetValue(typeof(T), out var kind) ? (SignedCommand<T>)kind
            : throw new ArgumentException($"{typeof(T).Name} is not a signed command (signed: {string.Join(", ", Kinds.Keys.Select(k => k.Name))}).", nameof(T));

    /// <summary>The account that issues (and signs) <paramref name="type"/>; an exception when it is not a signed message.</summary>
    public static BrokerAccount IssuerOf(Type type) => Kinds.TryGetValue(type, out var kind) ? kind.Issuer
        : throw new ArgumentException($"{type?.Name} is not a signed command.", nameof(type));

    /// <summary>Whether <paramref name="type"/> carries its issuer's signature.</summary>
    public static bool IsSigned(Type type) => Kinds.ContainsKey(type);
}
