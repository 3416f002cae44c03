using System.Security.Cryptography;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit.Serialization;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlMicroservices.Infrastructure.Tests.Messaging;

/// <summary>
/// The issuers' signatures on SecAggServerMessage and RoundAggregated (aggregation), RoundCompleted and ModelVersionPublished
/// (model registry), TaskCreated and ClientRegistered (registry), TaskCompleted (selector), RewardsIssued (reward) and
/// PrivacyBudgetDecision (privacy accountant), ShardRoundReported, ShardRoundDecided and ShardRoundFinished (the aggregation's
/// instances to one another): what a reader accepts after the wire, and what it refuses with the reason
/// (RoundStarted: <see cref="CommandSigningTests"/>).
/// </summary>
public sealed class SignedCommandsTests : IDisposable
{
    private const string Altered = "signature does not verify against the key of";
    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 12, 7, 8, 30, 1, 123, TimeSpan.FromHours(1)).AddTicks(4567);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fl-command-keys-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static SecAggServerMessage ServerMessage() => new("task-1", 3, "client-b", [0, 1, 2, 250, 7]);

    private static RoundCompleted Completed() => new("task-1", 3, 4, true, false, 0.91, 0.3, ["client-a", "client-b", "client-c"],
        [new Contribution("client-a", 600, 1.25, 0.4), new Contribution("client-b", 400, 0.75, 0.5, Aggregated: false)],
        [new RejectedUpdate("client-c", "digest mismatch")], [], null, At, true, null, 4, 0.91, null);

    private static TaskCreated Created() => new("task-1", new TaskSpec
    {
        ModelName = "mlp", SampleShape = [28, 28], ClassCount = 10, Rounds = 5, ClientFraction = 0.3, Training = new TrainingConfig(1, 32, 0.05),
        Privacy = new PrivacyConfig(true, 1.1, 1.0, 8, 1e-5) { SecureAggregation = SecureAggregationMode.SecAgg },
        StrategyParameters = new Dictionary<string, string> { ["server-lr"] = "1.0", ["f"] = "1" },
    }, At);

    private static RoundAggregated Aggregated() => new("task-1", 3, 2, true, "candidates/task-1/3.bin",
        [new Contribution("client-a", 600, 1.25, 0.4, Seconds: 12.5), new Contribution("client-b", 400, 0.75, 0.5, Aggregated: false)],
        [new RejectedUpdate("client-c", "digest mismatch")], ["client-d"], null, 0.25, [new DeclinedUpdate("client-e", "outside its window", 30)]);

    private static ModelVersionPublished Published() => new("task-1", 4, 3, 3, 7850, "sha256:0a1b", 0.91, 0.3, false);

    private static readonly ClientKey ClientsKey = new(SigningAlgorithms.EcdsaP256, Convert.ToBase64String([48, 89, 48, 19, 6, 7, 42]));

    private static ClientRegistered Registered() => new("client-a",
        new ClientCapabilities(600, 8, 16L << 30, ["mlp", "logreg"], [new ClientDataset("mnist", [28, 28], 10, 600)], 0.25), At,
        [ClientsKey, new ClientKey(SigningAlgorithms.MlDsa65, Convert.ToBase64String([1, 2, 3, 4]))]);

    private static TaskCompleted Ended() => new("task-1", 5, 5, 0.91, "all rounds completed", At, true, 0, 4, 0.93);

    private static RewardsIssued Rewards() => new("task-1", 3, [new ClientReward("client-a", 0.6, 60m, 160.5m), new ClientReward("client-b", 0.4, 40m, 40m)], 100m);

    private static PrivacyBudgetDecision Decision() => new("task-1", 3, false, 8.25, "round 3 would spend ε = 8.25 of 8");

    private static ShardRoundReported Reported() => new("task-1", 3, 1, 2,
        [new ShardClientState("client-a", [1, 3], [11u, 13u], 2.5, null), new ShardClientState("client-b", [1, 3], [21u, 23u], 0.75, null)],
        ["client-a", "client-b"], [0, 1.5, 1.5, 0]);

    private static ShardRoundDecided Decided() => new("task-1", 3, [new RejectedUpdate("client-c", "NaN in slice 7")], ["client-a"], null);

    private static ShardRoundFinished Finished() => new("task-1", 3, 1, [0.5f, -0.25f, 1f], null);

    // What a reader gets: the message after MassTransit's JSON serializer took it over the wire.
    private static T OverTheWire<T>(T message) =>
        JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(message, SystemTextJsonMessageSerializer.Options), SystemTextJsonMessageSerializer.Options)!;

    public static TheoryData<string, string> Alterations => new()
    {
        { "SecAggServerMessage", "task" }, { "SecAggServerMessage", "round" }, { "SecAggServerMessage", "recipient" }, { "SecAggServerMessage", "payload" },
        { "RoundCompleted", "task" }, { "RoundCompleted", "round" }, { "RoundCompleted", "model version" }, { "RoundCompleted", "succeeded" },
        { "RoundCompleted", "rolled back" }, { "RoundCompleted", "participants" }, { "RoundCompleted", "contributor added" },
        { "RoundCompleted", "contributor's examples" }, { "RoundCompleted", "left-out contributor paid" }, { "RoundCompleted", "rejected" },
        { "RoundCompleted", "stop reason" }, { "RoundCompleted", "completed at" },
        { "TaskCreated", "task" }, { "TaskCreated", "privacy" }, { "TaskCreated", "secure aggregation" }, { "TaskCreated", "rounds" },
        { "TaskCreated", "strategy parameter" }, { "TaskCreated", "created at" },
        { "RoundAggregated", "task" }, { "RoundAggregated", "round" }, { "RoundAggregated", "base model version" }, { "RoundAggregated", "succeeded" },
        { "RoundAggregated", "aggregate" }, { "RoundAggregated", "contributor added" }, { "RoundAggregated", "contributor's examples" },
        { "RoundAggregated", "left-out contributor paid" }, { "RoundAggregated", "rejected" }, { "RoundAggregated", "dropouts" },
        { "RoundAggregated", "failure reason" }, { "RoundAggregated", "seconds" }, { "RoundAggregated", "declined" },
        { "ModelVersionPublished", "task" }, { "ModelVersionPublished", "version" }, { "ModelVersionPublished", "round" },
        { "ModelVersionPublished", "parent version" }, { "ModelVersionPublished", "parameter count" }, { "ModelVersionPublished", "digest" },
        { "ModelVersionPublished", "accuracy" }, { "ModelVersionPublished", "loss" }, { "ModelVersionPublished", "rolled back" },
        { "ClientRegistered", "client" }, { "ClientRegistered", "key substituted" }, { "ClientRegistered", "key removed" },
        { "ClientRegistered", "key added" }, { "ClientRegistered", "examples" }, { "ClientRegistered", "models" },
        { "ClientRegistered", "data set" }, { "ClientRegistered", "cpu load" }, { "ClientRegistered", "registered at" },
        { "TaskCompleted", "task" }, { "TaskCompleted", "rounds completed" }, { "TaskCompleted", "final version" }, { "TaskCompleted", "final accuracy" },
        { "TaskCompleted", "reason" }, { "TaskCompleted", "completed at" }, { "TaskCompleted", "succeeded" }, { "TaskCompleted", "failed rounds" },
        { "TaskCompleted", "best version" }, { "TaskCompleted", "best accuracy" },
        { "RewardsIssued", "task" }, { "RewardsIssued", "round" }, { "RewardsIssued", "client" }, { "RewardsIssued", "tokens" },
        { "RewardsIssued", "balance" }, { "RewardsIssued", "reward added" }, { "RewardsIssued", "total" },
        { "PrivacyBudgetDecision", "task" }, { "PrivacyBudgetDecision", "round" }, { "PrivacyBudgetDecision", "allowed" },
        { "PrivacyBudgetDecision", "epsilon" }, { "PrivacyBudgetDecision", "reason" },
        { "ShardRoundReported", "task" }, { "ShardRoundReported", "round" }, { "ShardRoundReported", "shard" }, { "ShardRoundReported", "shard count" },
        { "ShardRoundReported", "client rejected" }, { "ShardRoundReported", "client removed" }, { "ShardRoundReported", "checksum" },
        { "ShardRoundReported", "sum of squares" }, { "ShardRoundReported", "distance" },
        { "ShardRoundDecided", "task" }, { "ShardRoundDecided", "round" }, { "ShardRoundDecided", "excluded" }, { "ShardRoundDecided", "selected" },
        { "ShardRoundDecided", "failure reason" },
        { "ShardRoundFinished", "task" }, { "ShardRoundFinished", "round" }, { "ShardRoundFinished", "shard" }, { "ShardRoundFinished", "values" },
        { "ShardRoundFinished", "failure reason" },
    };

    [Theory]
    [MemberData(nameof(Alterations))]
    public void Each_message_verifies_as_signed_and_fails_with_any_signed_field_altered(string message, string field)
    {
        switch (message)
        {
            case "SecAggServerMessage":
                Check(ServerMessage(), BrokerAccounts.Aggregation, BrokerAccounts.Node, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "round" => m with { Round = 4 },
                    "recipient" => m with { RecipientClientId = "client-c" },
                    "payload" => m with { Payload = [0, 1, 2, 250, 8] },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "RoundCompleted":
                Check(Completed(), BrokerAccounts.ModelRegistry, BrokerAccounts.Reward, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "round" => m with { Round = 99 },
                    "model version" => m with { ModelVersion = 5 },
                    "succeeded" => m with { Succeeded = false },
                    "rolled back" => m with { RolledBack = true },
                    "participants" => m with { Participants = ["client-a", "client-b", "ghost"] },
                    "contributor added" => m with { Contributors = [.. m.Contributors, new Contribution("ghost", 1_000_000, 1, 0.1)] },
                    "contributor's examples" => m with { Contributors = [m.Contributors[0] with { ExampleCount = 60_000 }, m.Contributors[1]] },
                    "left-out contributor paid" => m with { Contributors = [m.Contributors[0], m.Contributors[1] with { Aggregated = true }] },
                    "rejected" => m with { Rejected = [] },
                    "stop reason" => m with { StopReason = "stopped" },
                    "completed at" => m with { CompletedAt = m.CompletedAt.AddTicks(1) },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "TaskCreated":
                Check(Created(), BrokerAccounts.Registry, BrokerAccounts.Selector, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "privacy" => m with { Spec = m.Spec with { Privacy = PrivacyConfig.None } },
                    "secure aggregation" => m with { Spec = m.Spec with { Privacy = m.Spec.Privacy with { SecureAggregation = SecureAggregationMode.None } } },
                    "rounds" => m with { Spec = m.Spec with { Rounds = 500 } },
                    "strategy parameter" => m with { Spec = m.Spec with { StrategyParameters = new Dictionary<string, string> { ["server-lr"] = "9.0", ["f"] = "1" } } },
                    "created at" => m with { CreatedAt = m.CreatedAt.AddTicks(-1) },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "RoundAggregated":
                Check(Aggregated(), BrokerAccounts.Aggregation, BrokerAccounts.ModelRegistry, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "round" => m with { Round = 4 },
                    "base model version" => m with { BaseModelVersion = 1 },
                    "succeeded" => m with { Succeeded = false },
                    "aggregate" => m with { AggregateRef = "candidates/task-1/attacker.bin" },
                    "contributor added" => m with { Contributors = [.. m.Contributors, new Contribution("ghost", 1_000_000, 1, 0.1)] },
                    "contributor's examples" => m with { Contributors = [m.Contributors[0] with { ExampleCount = 60_000 }, m.Contributors[1]] },
                    "left-out contributor paid" => m with { Contributors = [m.Contributors[0], m.Contributors[1] with { Aggregated = true }] },
                    "rejected" => m with { Rejected = [] },
                    "dropouts" => m with { Dropouts = ["client-a", "client-d"] },
                    "failure reason" => m with { FailureReason = "quorum not reached" },
                    "seconds" => m with { AggregationSeconds = 0.5 },
                    "declined" => m with { Declined = null },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "ModelVersionPublished":
                Check(Published(), BrokerAccounts.ModelRegistry, BrokerAccounts.Selector, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "version" => m with { Version = 5 },
                    "round" => m with { Round = 0 },
                    "parent version" => m with { ParentVersion = null },
                    "parameter count" => m with { ParameterCount = 7851 },
                    "digest" => m with { Digest = "sha256:0a1c" },
                    "accuracy" => m with { Accuracy = 0.99 },
                    "loss" => m with { Loss = null },
                    "rolled back" => m with { RolledBack = true },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "ClientRegistered":
                Check(Registered(), BrokerAccounts.Registry, BrokerAccounts.Aggregation, m => field switch
                {
                    "client" => m with { ClientId = "client-b" },
                    "key substituted" => m with { Keys = [ClientsKey with { PublicKey = Convert.ToBase64String([48, 89, 48, 19, 6, 7, 43]) }, m.Keys![1]] },
                    "key removed" => m with { Keys = [m.Keys![0]] },
                    "key added" => m with { Keys = [.. m.Keys!, new ClientKey(SigningAlgorithms.EcdsaP256, Convert.ToBase64String([9]))] },
                    "examples" => m with { Capabilities = m.Capabilities with { ExampleCount = 60_000 } },
                    "models" => m with { Capabilities = m.Capabilities with { Models = ["mlp"] } },
                    "data set" => m with { Capabilities = m.Capabilities with { Datasets = [new ClientDataset("mnist", [28, 28], 10, 60_000)] } },
                    "cpu load" => m with { Capabilities = m.Capabilities with { CpuLoad = 0 } },
                    "registered at" => m with { RegisteredAt = m.RegisteredAt.AddTicks(1) },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "TaskCompleted":
                Check(Ended(), BrokerAccounts.Selector, BrokerAccounts.Dashboard, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "rounds completed" => m with { RoundsCompleted = 1 },
                    "final version" => m with { FinalModelVersion = 1 },
                    "final accuracy" => m with { FinalAccuracy = 0.1 },
                    "reason" => m with { Reason = "cancelled by operator" },
                    "completed at" => m with { CompletedAt = m.CompletedAt.AddTicks(1) },
                    "succeeded" => m with { Succeeded = false },
                    "failed rounds" => m with { FailedRounds = 1 },
                    "best version" => m with { BestModelVersion = 1 },
                    "best accuracy" => m with { BestAccuracy = null },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "RewardsIssued":
                Check(Rewards(), BrokerAccounts.Reward, BrokerAccounts.Dashboard, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "round" => m with { Round = 4 },
                    "client" => m with { Rewards = [m.Rewards[0] with { ClientId = "ghost" }, m.Rewards[1]] },
                    "tokens" => m with { Rewards = [m.Rewards[0] with { Tokens = 100m }, m.Rewards[1]] },
                    "balance" => m with { Rewards = [m.Rewards[0], m.Rewards[1] with { Balance = 1_000m }] },
                    "reward added" => m with { Rewards = [.. m.Rewards, new ClientReward("ghost", 1, 100m, 100m)] },
                    "total" => m with { TotalTokens = 200m },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "PrivacyBudgetDecision":
                Check(Decision(), BrokerAccounts.PrivacyAccounting, BrokerAccounts.Selector, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "round" => m with { Round = 4 },
                    "allowed" => m with { Allowed = true },
                    "epsilon" => m with { EpsilonIfRun = 0.5 },
                    "reason" => m with { Reason = "within budget" },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "ShardRoundReported":
                Check(Reported(), BrokerAccounts.Aggregation, BrokerAccounts.Aggregation, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "round" => m with { Round = 4 },
                    "shard" => m with { Shard = 0 },
                    "shard count" => m with { ShardCount = 3 },
                    "client rejected" => m with { Clients = [m.Clients[0] with { Rejection = "forged" }, m.Clients[1]] },
                    "client removed" => m with { Clients = [m.Clients[0]] },
                    "checksum" => m with { Clients = [m.Clients[0] with { Checksums = [11u, 14u] }, m.Clients[1]] },
                    "sum of squares" => m with { Clients = [m.Clients[0], m.Clients[1] with { SumOfSquares = 75 }] },
                    "distance" => m with { SquaredDistances = [0, 150, 150, 0] },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "ShardRoundDecided":
                Check(Decided(), BrokerAccounts.Aggregation, BrokerAccounts.Aggregation, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "round" => m with { Round = 4 },
                    "excluded" => m with { Excluded = [.. m.Excluded, new RejectedUpdate("client-a", "forged")] },
                    "selected" => m with { Selected = ["client-a", "client-c"] },
                    "failure reason" => m with { FailureReason = "forged" },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            case "ShardRoundFinished":
                Check(Finished(), BrokerAccounts.Aggregation, BrokerAccounts.Aggregation, m => field switch
                {
                    "task" => m with { TaskId = "task-2" },
                    "round" => m with { Round = 4 },
                    "shard" => m with { Shard = 0 },
                    "values" => m with { OwnedValues = [0.5f, -0.25f, 100f] },
                    "failure reason" => m with { OwnedValues = null, FailureReason = "forged" },
                    _ => throw new ArgumentOutOfRangeException(nameof(field)),
                });
                break;
            default: throw new ArgumentOutOfRangeException(nameof(message));
        }
    }

    private void Check<T>(T message, BrokerAccount issuer, BrokerAccount reader, Func<T, T> alter) where T : class
    {
        using var signer = CommandSigning.For(_directory, issuer);
        using var checker = CommandSigning.For(_directory, reader);
        var signed = signer.Sign(message);
        var name = typeof(T).Name;

        Assert.False(string.IsNullOrEmpty(SignedCommands.Of<T>().Signature(signed)));
        Assert.Equal(CommandSigning.Statement(message), CommandSigning.Statement(signed)); // nothing else changed
        Assert.Null(checker.Problem(OverTheWire(signed)));
        Assert.Equal($"{name}'s {Altered} {issuer.User}: it was altered or signed by another key", checker.Problem(OverTheWire(alter(signed))));
    }

    public static TheoryData<string> Messages => ["SecAggServerMessage", "RoundCompleted", "TaskCreated", "RoundAggregated", "ModelVersionPublished",
        "ClientRegistered", "TaskCompleted", "RewardsIssued", "PrivacyBudgetDecision", "ShardRoundReported", "ShardRoundDecided", "ShardRoundFinished"];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Unsigned_foreign_signed_garbled_and_another_issuers_signatures_are_refused_with_their_reason(string message)
    {
        switch (message)
        {
            case "SecAggServerMessage": Refusals(ServerMessage(), BrokerAccounts.Aggregation, BrokerAccounts.Edge, BrokerAccounts.ModelRegistry); break;
            case "RoundCompleted": Refusals(Completed(), BrokerAccounts.ModelRegistry, BrokerAccounts.Registry, BrokerAccounts.Aggregation); break;
            case "TaskCreated": Refusals(Created(), BrokerAccounts.Registry, BrokerAccounts.PrivacyAccounting, BrokerAccounts.ModelRegistry); break;
            case "RoundAggregated": Refusals(Aggregated(), BrokerAccounts.Aggregation, BrokerAccounts.ModelRegistry, BrokerAccounts.ModelRegistry); break;
            case "ModelVersionPublished": Refusals(Published(), BrokerAccounts.ModelRegistry, BrokerAccounts.Selector, BrokerAccounts.Registry); break;
            case "ClientRegistered": Refusals(Registered(), BrokerAccounts.Registry, BrokerAccounts.Aggregation, BrokerAccounts.ModelRegistry); break;
            case "TaskCompleted": Refusals(Ended(), BrokerAccounts.Selector, BrokerAccounts.Dashboard, BrokerAccounts.Registry); break;
            case "RewardsIssued": Refusals(Rewards(), BrokerAccounts.Reward, BrokerAccounts.Selector, BrokerAccounts.PrivacyAccounting); break;
            case "PrivacyBudgetDecision": Refusals(Decision(), BrokerAccounts.PrivacyAccounting, BrokerAccounts.Selector, BrokerAccounts.Reward); break;
            case "ShardRoundReported": Refusals(Reported(), BrokerAccounts.Aggregation, BrokerAccounts.Aggregation, BrokerAccounts.Registry); break;
            case "ShardRoundDecided": Refusals(Decided(), BrokerAccounts.Aggregation, BrokerAccounts.Aggregation, BrokerAccounts.ModelRegistry); break;
            case "ShardRoundFinished": Refusals(Finished(), BrokerAccounts.Aggregation, BrokerAccounts.Aggregation, BrokerAccounts.Reward); break;
            default: throw new ArgumentOutOfRangeException(nameof(message));
        }
    }

    // other: another issuing account, whose genuine key signs this very statement.
    private void Refusals<T>(T message, BrokerAccount issuer, BrokerAccount reader, BrokerAccount other) where T : class
    {
        var kind = SignedCommands.Of<T>();
        var name = typeof(T).Name;
        using var signer = CommandSigning.For(_directory, issuer);
        using var checker = CommandSigning.For(_directory, reader);
        using var impostor = CommandSigning.For(Path.Combine(_directory, "elsewhere"), issuer); // the right account name, a key of its own
        // Another issuing service's genuine key: the selector signs RoundStarted; its signature over this statement is no issuer's.
        using var selector = CommandSigning.For(_directory, BrokerAccounts.Selector);
        _ = signer.Sign(message);

        Assert.Equal(issuer, kind.Issuer);
        Assert.Equal($"{name} carries no signature of {issuer.User}, which issues it", checker.Problem(message));
        Assert.Equal($"{name}'s {Altered} {issuer.User}: it was altered or signed by another key", checker.Problem(OverTheWire(impostor.Sign(message))));
        Assert.Equal($"{name}'s signature is not base64", checker.Problem(kind.WithSignature(message, "not base64!")));
        Assert.Contains(Altered, checker.Problem(kind.WithSignature(message, Convert.ToBase64String(new byte[64]))));
        var selectorSigned = kind.WithSignature(message, SignedCommands.Of<RoundStarted>().Signature(selector.Sign(CommandSigningTests.Round()))!);
        Assert.Contains(Altered, checker.Problem(selectorSigned));
        using var otherSigning = CommandSigning.For(_directory, other); // writes the other issuer's key pair
        using var otherKey = PrivateKey(other);
        var otherSigned = kind.WithSignature(message, Convert.ToBase64String(otherKey.Sign(CommandSigning.Statement(message))));
        Assert.Equal($"{name}'s {Altered} {issuer.User}: it was altered or signed by another key", checker.Problem(OverTheWire(otherSigned)));
        // A process signs only what its own account issues.
        var wrongIssuer = Assert.Throws<InvalidOperationException>(() => otherSigning.Sign(message));
        Assert.Contains($"does not issue {name} ({issuer.User} does)", wrongIssuer.Message);
        Assert.True(checker.Refuses(message, NullLogger.Instance));
        Assert.False(checker.Refuses(signer.Sign(message), NullLogger.Instance));
    }

    // An issuer's key as its service holds it (NAME.command-key, PKCS#8 PEM).
    private EcdsaP256KeyPair PrivateKey(BrokerAccount account)
    {
        var pem = File.ReadAllText(Path.Combine(_directory, account.Name + ".command-key"));
        return EcdsaP256KeyPair.Import(Convert.FromBase64String(pem[PemEncoding.Find(pem).Base64Data]));
    }

    [Fact]
    public void Every_issuing_account_holds_a_key_and_only_those_do()
    {
        foreach (var account in BrokerAccounts.All) using (CommandSigning.For(_directory, account)) { }
        var keys = Directory.GetFiles(_directory, "*.command-key").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["aggregation.command-key", "model-registry.command-key", "privacy-accounting.command-key", "registry.command-key", "reward.command-key",
            "selector.command-key"], keys);
        Assert.Equal(6, Directory.GetFiles(_directory, "*.command-key.pub").Length);
        Assert.Equal(["RoundStarted", "SecAggServerMessage", "RoundCompleted", "TaskCreated", "RoundAggregated", "ModelVersionPublished", "ClientRegistered",
            "TaskCompleted", "RewardsIssued", "PrivacyBudgetDecision", "ShardRoundReported", "ShardRoundDecided", "ShardRoundFinished"],
            SignedCommands.Types.Select(t => t.Name));
        Assert.Throws<ArgumentException>(() => CommandSigning.Statement(new TaskRejected("t", "r", At)));
    }

    [Fact]
    public void Off_passes_every_message_unsigned_and_unchecked()
    {
        using var off = CommandSigning.Off();
        var message = Completed();
        Assert.Same(message, off.Sign(message));
        Assert.Null(off.Problem(Created()));
        Assert.False(off.Refuses(ServerMessage(), NullLogger.Instance));
        var aggregated = Aggregated();
        Assert.Same(aggregated, off.Sign(aggregated));
        Assert.Null(off.Problem(Published()));
        var registered = Registered();
        Assert.Same(registered, off.Sign(registered));
        Assert.Null(off.Problem(Ended()));
        Assert.Null(off.Problem(Rewards()));
        Assert.False(off.Refuses(Decision(), NullLogger.Instance));
    }
}
