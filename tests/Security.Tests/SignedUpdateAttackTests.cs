using System.Security.Cryptography;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;
using Xunit.Abstractions;

namespace FlMicroservices.Security.Tests;

/// <summary>
/// Attacks on signed updates (docs/signing.md) in the deployment: manifests under another client's id, replayed, signed with a
/// key that is not the client's, and a client that sends two different updates in one round. Each runs its own plain task.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class SignedUpdateAttackTests(AttackedDeployment target, ITestOutputHelper output)
{
    // The logreg model of the attacked tasks: 60 x 10 weights and 10 biases, in slices of 64 elements.
    private const int Elements = 610;
    private const int Slices = 10;

    [Fact]
    public async Task A_manifest_under_another_clients_id_with_the_attackers_key_and_a_replay_from_an_earlier_round_are_refused_and_the_victims_count()
    {
        var impersonation = target.Ledger.Try("impersonation: a manifest under another client's id, signed with the attacker's own key");
        var replay = target.Ledger.Try("replay of a client's round-1 manifest in round 2");
        var taskId = await CreatePlainTaskAsync("replay", rounds: 2);
        // Round 2 is open (node-3's delay keeps it so for seconds after the others' manifests): the victim's round-1 manifest is what was seen on the bus.
        var started = await RoundStartedAsync(taskId, 2);
        var (replayVictim, keyVictim) = ("node-1-c000", "node-2-c000");
        var earlier = target.Observer.Of<UpdateSubmitted>().Single(u => u.TaskId == taskId && u.Round == 1 && u.ClientId == replayVictim);
        Assert.NotNull(earlier.Signature); // signed by default

        using var attackerKey = EcdsaP256KeyPair.Generate();
        Assert.Equal(0, await target.PublishAsNodeAsync(earlier with { Round = 2 }));
        Assert.Equal(0, await target.PublishAsNodeAsync(Signed(started, keyVictim, RandomDigest(), attackerKey)));

        var round = await OutcomeAsync(taskId, 2);
        var aggregation = target.Deployment.Services["Aggregation"];
        foreach (var victim in new[] { replayVictim, keyVictim })
        {
            var refusal = $"Manifest of {victim} for {taskId}/2 refused: the ecdsa-p256 signature does not verify with client {victim}'s registered key for task {taskId}, round 2";
            Assert.True(AttackedDeployment.LogHas(aggregation, refusal), $"no refusal recorded for {victim}:\n{aggregation.Tail(30)}");
        }
        Assert.True(round.Succeeded, round.FailureReason);
        Assert.Contains(round.Contributors, c => c.ClientId == replayVictim); // the victims' own updates still count: no first-wins
        Assert.Contains(round.Contributors, c => c.ClientId == keyVictim);
        Assert.Equal(AttackedDeployment.Clients, round.Contributors.Length);
        const string Refused = "aggregation log: Manifest of VICTIM for TASK/2 refused: the ecdsa-p256 signature does not verify with client VICTIM's registered key for task TASK, round 2; the victim's own update aggregated";
        impersonation.Blocked(Refused);
        replay.Blocked(Refused);
    }

    [Fact]
    public async Task Manifests_signed_with_another_clients_registered_key_or_with_another_algorithm_are_refused_with_the_reason()
    {
        var attack = target.Ledger.Try("wrong-key signature (another client's registered key; another algorithm)");
        var taskId = await CreatePlainTaskAsync("wrongkey", rounds: 1);
        var started = await RoundStartedAsync(taskId, 1);
        // The malicious node-1 signs for node-2's client with the key registered for its own client; and for node-3's with an ML-DSA key.
        var (victim, algorithmVictim) = ("node-2-c001", "node-3-c001");
        using var ownKey = target.SigningKeyOf("node-1-c000");
        using var otherAlgorithm = MlDsa65KeyPair.Generate();
        Assert.Equal(0, await target.PublishAsNodeAsync(Signed(started, victim, RandomDigest(), ownKey)));
        Assert.Equal(0, await target.PublishAsNodeAsync(Signed(started, algorithmVictim, RandomDigest(), otherAlgorithm)));

        var round = await OutcomeAsync(taskId, 1);
        var aggregation = target.Deployment.Services["Aggregation"];
        string[] refusals =
        [
            $"Manifest of {victim} for {taskId}/1 refused: the ecdsa-p256 signature does not verify with client {victim}'s registered key",
            $"Manifest of {algorithmVictim} for {taskId}/1 refused: signed with 'ml-dsa-65', task {taskId} requires ecdsa-p256",
        ];
        foreach (var refusal in refusals) Assert.True(AttackedDeployment.LogHas(aggregation, refusal), $"not in the aggregation's log: {refusal}\n{aggregation.Tail(30)}");
        Assert.True(round.Succeeded, round.FailureReason);
        Assert.Equal(AttackedDeployment.Clients, round.Contributors.Length); // the victims' own updates count
        attack.Blocked("aggregation log: refused: the signature does not verify with the client's registered key / signed with 'ml-dsa-65', task requires ecdsa-p256");
    }

    [Fact]
    public async Task A_client_that_sends_two_different_signed_updates_in_one_round_is_rejected_with_both_digests_and_not_aggregated()
    {
        var attack = target.Ledger.Try("update equivocation (two signed manifests, one client and round)");
        var taskId = await CreatePlainTaskAsync("equivocate", rounds: 1);
        var started = await RoundStartedAsync(taskId, 1);
        const string equivocator = "node-1-c001"; // the malicious node's own client, with its own key
        await target.WaitAsync(o => o.Of<UpdateSubmitted>().Any(u => u.TaskId == taskId && u.Round == 1 && u.ClientId == equivocator), $"{equivocator}'s update", 180);
        var first = target.Observer.Of<UpdateSubmitted>().First(u => u.TaskId == taskId && u.Round == 1 && u.ClientId == equivocator);
        using var key = target.SigningKeyOf(equivocator);
        var second = RandomDigest();
        Assert.Equal(0, await target.PublishAsNodeAsync(Signed(started, equivocator, second, key, first.ExampleCount)));

        var round = await OutcomeAsync(taskId, 1);
        var rejected = Assert.Single(round.Rejected, r => r.ClientId == equivocator);
        Assert.Contains("sent two different updates for round 1", rejected.Reason, StringComparison.Ordinal);
        Assert.Contains(first.Digest[..12], rejected.Reason, StringComparison.Ordinal);
        Assert.Contains(second[..12], rejected.Reason, StringComparison.Ordinal);
        Assert.True(round.Succeeded, round.FailureReason);
        Assert.DoesNotContain(round.Contributors, c => c.ClientId == equivocator);
        Assert.Equal(AttackedDeployment.Clients - 1, round.Contributors.Length);
        output.WriteLine($"RoundAggregated.rejected: {equivocator}: {rejected.Reason}");
        attack.Blocked($"RoundAggregated.rejected: {rejected.Reason}");
    }

    private async Task<string> CreatePlainTaskAsync(string prefix, int rounds)
    {
        var taskId = $"{prefix}-{Guid.NewGuid():N}"[..20];
        await target.Observer.PublishAsync(new CreateTask(taskId, AttackedDeployment.SecureSpec(rounds) with { Privacy = PrivacyConfig.None }));
        return taskId;
    }

    private async Task<RoundStarted> RoundStartedAsync(string taskId, int round)
    {
        await target.WaitAsync(o => o.Of<RoundStarted>().Any(r => r.TaskId == taskId && r.Round == round), $"round {round} of {taskId} to start", 300);
        return target.Observer.Of<RoundStarted>().First(r => r.TaskId == taskId && r.Round == round);
    }

    private async Task<RoundAggregated> OutcomeAsync(string taskId, int round)
    {
        await target.WaitAsync(o => o.Of<TaskCompleted>().Any(t => t.TaskId == taskId), $"{taskId} to complete", 300);
        return target.Observer.Of<RoundAggregated>().Single(r => r.TaskId == taskId && r.Round == round);
    }

    private static string RandomDigest() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    // A manifest for the round as the client's node would sign it, with the given key.
    private static UpdateSubmitted Signed(RoundStarted started, string clientId, string digest, SigningKeyPair key, int examples = 50)
    {
        var nonce = UpdateStatement.NewNonce();
        var statement = new UpdateStatement("update", started.TaskId, started.Round, started.ModelVersion, clientId, nonce, digest, examples, Slices, Elements);
        return new UpdateSubmitted(started.TaskId, started.Round, clientId, examples, Slices, Elements, digest,
            Convert.ToBase64String(key.Sign(statement.ToBytes())), new LocalMetrics(0.1, 1, 1), nonce, key.Algorithm);
    }
}
