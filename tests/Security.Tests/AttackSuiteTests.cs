using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Security;
using FlMicroservices.Distributed.Tests;
using FlMicroservices.Infrastructure.Messaging;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.Resilience;
using FlMicroservices.Infrastructure.Security;
using FlMicroservices.Infrastructure.UpdateStream;
using MassTransit.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace FlMicroservices.Security.Tests;

[CollectionDefinition(Name)]
public sealed class AttackCollection : ICollectionFixture<AttackedDeployment>
{
    public const string Name = "attacked deployment";
}

/// <summary>
/// Attacks on the separate-process deployment (docs/security.md), each with the recorded reason it failed. The attacker
/// holds what a malicious node holds: the node's broker user, and write access to the update stream.
/// </summary>
[Collection(AttackCollection.Name)]
public sealed class AttackSuiteTests(AttackedDeployment target, ITestOutputHelper output)
{
    private const int AccessRefused = 403;

    // Valid JSON, too large for any number type: System.Text.Json reads it as infinity into a double and refuses it elsewhere.
    private const string Overflow = "1e999";

    [Fact]
    public async Task A_forged_TaskCreated_skipping_the_registry_is_refused_by_the_broker_from_a_node_and_without_the_registrys_signature_by_every_service()
    {
        var attack = target.Ledger.Try("forged TaskCreated skipping the registry's validation");
        var spec = AttackedDeployment.SecureSpec(rounds: 1) with { Privacy = PrivacyConfig.None };
        // The selector, the privacy accountant and the model registry each refuse the unsigned and the foreign-signed one.
        var (unsigned, foreign) = ($"forged-unsigned-{Guid.NewGuid():N}"[..24], $"forged-foreign-{Guid.NewGuid():N}"[..24]);
        await ForgeAsync(new TaskCreated("forged-task", spec, DateTimeOffset.UtcNow), new TaskCreated(unsigned, spec, DateTimeOffset.UtcNow),
            new TaskCreated(foreign, spec, DateTimeOffset.UtcNow));

        var reasons = new[]
        {
            $"Refused TaskCreated {unsigned}: TaskCreated carries no signature of fl-registry, which issues it",
            $"Refused TaskCreated {foreign}: TaskCreated's signature does not verify against the key of fl-registry",
        };
        var readers = new[] { "Selector", "PrivacyAccounting", "ModelRegistry" }.Select(s => target.Deployment.Services[s]).ToArray();
        await WaitForLogsAsync(readers, reasons);
        await Task.Delay(2000); // an initial model or a first round, had any service acted, would have been published by now
        Assert.DoesNotContain(target.Observer.Of<ModelVersionPublished>(), m => m.TaskId == unsigned || m.TaskId == foreign);
        Assert.DoesNotContain(target.Observer.Of<RoundStarted>(), r => r.TaskId == unsigned || r.TaskId == foreign);
        attack.Blocked($"broker ACCESS_REFUSED from fl-node; with a service's credentials the selector's, privacy accountant's and model registry's logs: {reasons[0]} / ... does not verify against the key of fl-registry");
        output.WriteLine("TaskCreated from fl-node: ACCESS_REFUSED; unsigned and foreign-signed ones refused by 3 services");
    }

    [Fact]
    public async Task A_forged_RoundCompleted_crediting_a_client_that_never_existed_is_refused_by_the_broker_from_a_node_and_without_the_model_registrys_signature_by_every_service()
    {
        var attack = target.Ledger.Try("forged RoundCompleted crediting a ghost client");
        RoundCompleted Forged(int round) => new(target.SecureTaskId, round, 1, true, false, 0.9, 0.1, ["ghost"], [new Contribution("ghost", 1_000_000, 1, 0.1)],
            [], [], null, DateTimeOffset.UtcNow);
        // The reward service (which pays on it), the registry, the selector and the privacy accountant refuse the unsigned and the foreign-signed one.
        await ForgeAsync(Forged(99), Forged(97), Forged(98));

        var reasons = new[]
        {
            $"Refused RoundCompleted {target.SecureTaskId}/97: RoundCompleted carries no signature of fl-model-registry, which issues it",
            $"Refused RoundCompleted {target.SecureTaskId}/98: RoundCompleted's signature does not verify against the key of fl-model-registry",
        };
        var readers = new[] { "Reward", "Registry", "Selector", "PrivacyAccounting" }.Select(s => target.Deployment.Services[s]).ToArray();
        await WaitForLogsAsync(readers, reasons);
        await Task.Delay(2000); // rewards or a next round, had any service acted, would have been published by now
        Assert.DoesNotContain(target.Observer.Of<RewardsIssued>(), r => r.TaskId == target.SecureTaskId && r.Round >= 97);
        Assert.DoesNotContain(target.Observer.Of<RoundStarted>(), r => r.TaskId == target.SecureTaskId && r.Round >= 98);
        attack.Blocked($"broker ACCESS_REFUSED from fl-node; with a service's credentials the reward service's, registry's, selector's and privacy accountant's logs: {reasons[0]} / ... does not verify against the key of fl-model-registry");
        output.WriteLine("RoundCompleted from fl-node: ACCESS_REFUSED; unsigned and foreign-signed ones refused by 4 services, no rewards");
    }

    [Fact]
    public async Task A_forged_RoundAggregated_pointing_at_a_poisoned_aggregate_is_refused_by_the_broker_from_a_node_and_without_the_aggregations_signature_by_the_model_registry()
    {
        var attack = target.Ledger.Try("forged RoundAggregated pointing at a poisoned aggregate and crediting a ghost client");
        // The poisoned aggregate is in the model store, where the aggregation writes its candidates: the secure task's current
        // model scaled a hundredfold. With a service's credentials, only the aggregation's signature keeps it from being the next version.
        var store = new FileModelStore(target.Deployment.ModelStoreRoot);
        var versions = await store.ListVersionsAsync(target.SecureTaskId, CancellationToken.None);
        var current = await store.GetCurrentVersionAsync(target.SecureTaskId, CancellationToken.None)
            ?? throw new InvalidOperationException($"{target.SecureTaskId} has no current model version");
        var poisoned = (await store.LoadWeightsAsync(target.SecureTaskId, current, CancellationToken.None)).Select(w => w * 100f).ToArray();
        var poisonedRef = await store.SaveCandidateAsync(target.SecureTaskId, 60, poisoned, CancellationToken.None);
        RoundAggregated Forged(int round) => new(target.SecureTaskId, round, current, true, poisonedRef, [new Contribution("ghost", 1_000_000, 1, 0.1)],
            [], [], null, 0.1);
        // The model registry refuses the unsigned and the foreign-signed one before it loads the candidate.
        await ForgeAsync(Forged(60), Forged(61), Forged(62));

        var reasons = new[]
        {
            $"Refused RoundAggregated {target.SecureTaskId}/61: RoundAggregated carries no signature of fl-aggregation, which issues it",
            $"Refused RoundAggregated {target.SecureTaskId}/62: RoundAggregated's signature does not verify against the key of fl-aggregation",
        };
        await WaitForLogsAsync([target.Deployment.Services["ModelRegistry"]], reasons);
        await Task.Delay(2000); // a new version and the round's RoundCompleted, had the model registry acted, would have been published by now
        bool Forgery(int round) => round is >= 60 and <= 62;
        Assert.DoesNotContain(target.Observer.Of<ModelVersionPublished>(), m => m.TaskId == target.SecureTaskId && Forgery(m.Round));
        Assert.DoesNotContain(target.Observer.Of<RoundCompleted>(), r => r.TaskId == target.SecureTaskId && Forgery(r.Round));
        Assert.Equal(versions.Select(v => v.Version), (await store.ListVersionsAsync(target.SecureTaskId, CancellationToken.None)).Select(v => v.Version));
        Assert.Equal(current, await store.GetCurrentVersionAsync(target.SecureTaskId, CancellationToken.None));
        attack.Blocked($"broker ACCESS_REFUSED from fl-node; with a service's credentials the model registry's log: {reasons[0]} / ... does not verify against the key of fl-aggregation; no new version, no RoundCompleted");
        output.WriteLine($"RoundAggregated from fl-node: ACCESS_REFUSED; unsigned and foreign-signed ones refused by the model registry; versions still {string.Join(", ", versions.Select(v => v.Version))}, current {current}");
    }

    [Fact]
    public async Task A_forged_initial_ModelVersionPublished_is_refused_by_the_broker_from_a_node_and_without_the_model_registrys_signature_by_the_selector_which_starts_no_round_on_it()
    {
        var attack = target.Ledger.Try("forged initial ModelVersionPublished for a task with no initial model");
        // With the model registry stopped, the registry's signed TaskCreated for a new task reaches the selector and waits in the
        // model registry's queue: the selector holds the task (Created) and no initial model exists. A round 1 now can only come
        // from a forged initial version.
        var modelRegistry = target.Deployment.Services["ModelRegistry"];
        var selector = target.Deployment.Services["Selector"];
        var taskId = $"no-model-{Guid.NewGuid():N}"[..20];
        var forged = new ModelVersionPublished(taskId, 0, 0, null, 610, "forged-initial-model", null, null, false);
        var reasons = new[]
        {
            $"Refused ModelVersionPublished {taskId}/0 (version 0): ModelVersionPublished carries no signature of fl-model-registry, which issues it",
            $"Refused ModelVersionPublished {taskId}/0 (version 0): ModelVersionPublished's signature does not verify against the key of fl-model-registry",
        };
        modelRegistry.Kill();
        try
        {
            await target.Observer.PublishAsync(new CreateTask(taskId, AttackedDeployment.SecureSpec(rounds: 1) with { Privacy = PrivacyConfig.None }));
            Assert.Equal("Created", await SelectorStateAsync(selector, taskId, TimeSpan.FromMinutes(2)));
            await ForgeAsync(forged, forged, forged);
            await WaitForLogsAsync([selector], reasons);
            await Task.Delay(2000); // round 1, had the selector acted, would have started by now
            Assert.DoesNotContain(target.Observer.Of<RoundStarted>(), r => r.TaskId == taskId);
            Assert.Equal("Created", await SelectorStateAsync(selector, taskId, TimeSpan.FromMinutes(1)));
        }
        finally
        {
            modelRegistry.Start();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await modelRegistry.WaitReadyAsync(http, TimeSpan.FromMinutes(2));
        }

        // Back, the model registry builds the initial model and publishes it signed: round 1 starts on that one, and the task ends.
        await target.WaitAsync(o => o.Of<TaskCompleted>().Any(t => t.TaskId == taskId), $"{taskId} to complete on its genuine initial model", 300);
        var genuine = target.Observer.Of<ModelVersionPublished>().Single(m => m.TaskId == taskId && m.Round == 0 && m.Digest != forged.Digest);
        Assert.False(string.IsNullOrEmpty(genuine.IssuerSignature), "the model registry did not sign its initial ModelVersionPublished");
        var started = Assert.Single(target.Observer.Of<RoundStarted>(), r => r.TaskId == taskId);
        Assert.Equal((1, genuine.Version), (started.Round, started.ModelVersion));
        var done = target.Observer.Of<TaskCompleted>().Single(t => t.TaskId == taskId);
        Assert.True(done.Succeeded, done.Reason);
        attack.Blocked($"broker ACCESS_REFUSED from fl-node; with a service's credentials the selector's log: {reasons[0]} / ... does not verify against the key of fl-model-registry; no RoundStarted (the task stayed Created) until the model registry's own initial version");
        output.WriteLine($"ModelVersionPublished from fl-node: ACCESS_REFUSED; unsigned and foreign-signed initial ones refused by the selector, no round; round 1 started on the model registry's own (digest {genuine.Digest[..12]})");
    }

    [Fact]
    public async Task A_forged_ClientRegistered_substituting_every_clients_key_is_refused_by_the_broker_from_a_node_and_without_the_registrys_signature_by_the_aggregation()
    {
        var attack = target.Ledger.Try("forged ClientRegistered substituting the attacker's key for every client's (key substitution)");
        using var attackersKey = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        var clients = target.Observer.Of<ClientRegistered>().Where(c => c.Keys is { Length: > 0 }).GroupBy(c => c.ClientId).Select(g => g.First()).ToArray();
        Assert.True(clients.Length >= AttackedDeployment.Clients, $"{clients.Length} clients registered with keys, {AttackedDeployment.Clients} expected");
        Assert.All(clients, c => Assert.False(string.IsNullOrEmpty(c.IssuerSignature), $"the registry did not sign {c.ClientId}'s ClientRegistered"));
        // Had the aggregation stored these, the attacker's updates would verify as the clients' and the clients' own would be refused.
        foreach (var client in clients)
        {
            var forged = client with { Keys = [attackersKey.ToClientKey()], RegisteredAt = DateTimeOffset.UtcNow, IssuerSignature = null };
            await ForgeAsync(forged, forged, forged);
        }
        var aggregation = target.Deployment.Services["Aggregation"];
        var reasons = clients.SelectMany(c => new[]
        {
            $"Refused ClientRegistered {c.ClientId}: ClientRegistered carries no signature of fl-registry, which issues it",
            $"Refused ClientRegistered {c.ClientId}: ClientRegistered's signature does not verify against the key of fl-registry",
        }).ToArray();
        await WaitForLogsAsync([aggregation], reasons);

        // The clients' own keys still verify their updates: a round after the forgeries takes every participant's update.
        var taskId = $"after-keys-{Guid.NewGuid():N}"[..20];
        await target.Observer.PublishAsync(new CreateTask(taskId, AttackedDeployment.SecureSpec(rounds: 1) with { Privacy = PrivacyConfig.None }));
        await target.WaitAsync(o => o.Of<TaskCompleted>().Any(t => t.TaskId == taskId), $"{taskId} to complete", 300);
        var done = target.Observer.Of<TaskCompleted>().Single(t => t.TaskId == taskId);
        Assert.True(done.Succeeded, done.Reason);
        var round = target.Observer.Of<RoundCompleted>().Single(r => r.TaskId == taskId);
        Assert.Empty(round.Rejected);
        Assert.NotEmpty(round.Contributors);
        attack.Blocked($"broker ACCESS_REFUSED from fl-node; with a service's credentials the aggregation's log, for each of {clients.Length} clients: {reasons[0]} / ... does not verify against the key of fl-registry; the next round took all {round.Contributors.Length} participants' updates under their own keys");
        output.WriteLine($"ClientRegistered from fl-node: ACCESS_REFUSED; {2 * clients.Length} unsigned and foreign-signed ones refused by the aggregation; " +
            $"round 1 of {taskId}: {round.Contributors.Length} contributors, {round.Rejected.Length} rejected");
    }

    // The task's state at the selector's operator API (an auditor's token), once the selector knows the task; fails after the timeout.
    private async Task<string> SelectorStateAsync(ServiceProcess selector, string taskId, TimeSpan timeout)
    {
        var token = DevelopmentIssuer.Mint(DevelopmentIssuer.LoadOrCreateKey(target.OperatorKeyFile), "security-suite", OperatorRoles.Auditor, TimeSpan.FromMinutes(10));
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{selector.HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await api.GetAsync($"/api/tasks/{taskId}");
            last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            if (response.IsSuccessStatusCode)
                return JsonNode.Parse(await response.Content.ReadAsStringAsync())?["task"]?["state"]?.GetValue<string>()
                    ?? throw new InvalidOperationException($"GET /api/tasks/{taskId} at the selector holds no task.state: {last}");
            if (response.StatusCode != HttpStatusCode.NotFound) break;
            await Task.Delay(200);
        }
        throw new InvalidOperationException($"The selector does not know task {taskId} (GET /api/tasks/{taskId}: {last}):\n{selector.Tail(20)}");
    }

    // A forged command three ways: with the node's credentials, which the broker refuses (ACCESS_REFUSED); then with a service's
    // (the administrator's), which it takes: unsigned, and signed with the attacker's own key under the issuer's name.
    private async Task ForgeAsync<T>(T fromNode, T unsigned, T foreign) where T : class
    {
        Assert.Equal(AccessRefused, await target.PublishAsNodeAsync(fromNode));
        using var impostor = CommandSigning.For(Path.Combine(target.Deployment.Root, "attacker-keys"), SignedCommands.IssuerOf(typeof(T)));
        await target.Observer.PublishAsync(unsigned);
        await target.Observer.PublishAsync(impostor.Sign(foreign));
    }

    // Waits until every one of the processes' logs holds every reason; fails with their tails otherwise.
    private static async Task WaitForLogsAsync(IReadOnlyList<ServiceProcess> processes, IReadOnlyList<string> reasons)
    {
        bool All() => processes.All(p => reasons.All(r => AttackedDeployment.LogHas(p, r)));
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!All() && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(All(), string.Join("\n", processes.Where(p => !reasons.All(r => AttackedDeployment.LogHas(p, r))).Select(p => $"{p.Name}:\n{p.Tail(20)}")));
    }

    [Fact]
    public async Task A_forged_RoundStarted_from_a_node_is_refused_by_the_broker()
    {
        var attack = target.Ledger.Try("forged RoundStarted from a node");
        var real = target.Observer.Of<RoundStarted>().First(r => r.TaskId == target.SecureTaskId);
        Assert.Equal(AccessRefused, await target.PublishAsNodeAsync(real with { Round = 50, Privacy = PrivacyConfig.None }));
        attack.Blocked("broker ACCESS_REFUSED (fl-node may not publish RoundStarted)");
    }

    [Fact]
    public async Task A_RoundStarted_that_switches_secure_aggregation_off_fails_the_selectors_signature_at_every_node_and_no_update_leaves_in_the_clear()
    {
        var attack = target.Ledger.Try("downgraded RoundStarted (SecAgg off) with a service's credentials");
        // With a service's credentials (here the administrator's) the broker takes it; the selector's signature no longer
        // matches, so every node refuses it (a node also refuses weaker privacy than it pinned: NodePrivacyPinTests).
        var real = target.Observer.Of<RoundStarted>().Where(r => r.TaskId == target.SecureTaskId).MaxBy(r => r.Round)!;
        Assert.False(string.IsNullOrEmpty(real.IssuerSignature), "the selector did not sign its RoundStarted");
        var downgraded = real with { Round = real.Round + 1, Privacy = PrivacyConfig.None, Deadline = DateTimeOffset.UtcNow.AddSeconds(30) };
        await target.Observer.PublishAsync(downgraded);

        var reason = $"refuses {target.SecureTaskId}/{downgraded.Round}";
        const string Why = "signature does not verify against the key of fl-selector";
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (target.Deployment.Nodes.Count(n => AttackedDeployment.LogHas(n, reason)) < target.Deployment.Nodes.Count && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        Assert.All(target.Deployment.Nodes, n => Assert.True(AttackedDeployment.LogHas(n, reason), $"{n.Name} did not refuse the downgraded round:\n{n.Tail(20)}"));
        Assert.All(target.Deployment.Nodes, n => Assert.True(AttackedDeployment.LogHas(n, Why), n.Tail(20)));
        await Task.Delay(2000); // a plain manifest, had any node sent one, would have arrived by now
        Assert.DoesNotContain(target.Observer.Of<UpdateSubmitted>(), u => u.TaskId == target.SecureTaskId && u.Round == downgraded.Round);
        attack.Blocked($"every node's log: {reason} ... {Why}");
        output.WriteLine($"all {target.Deployment.Nodes.Count} nodes: {reason} ... {Why}");
    }

    [Fact]
    public async Task A_forged_SecAggServerMessage_is_refused_by_the_broker_from_a_node_and_by_every_recipients_node_without_the_aggregations_signature()
    {
        var attack = target.Ledger.Try("forged SecAggServerMessage (key lists / survivor sets) to the nodes");
        var round = target.Observer.Of<RoundStarted>().Where(r => r.TaskId == target.SecureTaskId).MaxBy(r => r.Round)!;
        // The secure task before the attacks completed, so every node accepted the aggregation's signed messages; these carry
        // arbitrary protocol bytes, since the signature is checked before anything of the payload is read.
        byte[] payload = [1, 2, 3];
        Assert.Equal(AccessRefused, await target.PublishAsNodeAsync(new SecAggServerMessage(target.SecureTaskId, round.Round + 1, round.Participants[0], payload)));

        // With a service's credentials (the administrator's) the broker takes it: unsigned to every client, and once signed with the
        // attacker's own key (under the aggregation's name) to the first; each client's node refuses what is addressed to it.
        using var impostor = CommandSigning.For(Path.Combine(target.Deployment.Root, "attacker-keys"), BrokerAccounts.Aggregation);
        var forgedRound = round.Round + 1;
        foreach (var client in round.Participants)
            await target.Observer.PublishAsync(new SecAggServerMessage(target.SecureTaskId, forgedRound, client, payload));
        await target.Observer.PublishAsync(impostor.Sign(new SecAggServerMessage(target.SecureTaskId, forgedRound + 1, round.Participants[0], payload)));

        string Refused(int r, string client) => $"Refused SecAggServerMessage {target.SecureTaskId}/{r} for {client}: ";
        const string Unsigned = "SecAggServerMessage carries no signature of fl-aggregation, which issues it";
        const string Foreign = "SecAggServerMessage's signature does not verify against the key of fl-aggregation";
        bool RefusedEverywhere() => round.Participants.All(c => target.Deployment.Nodes.Any(n => AttackedDeployment.LogHas(n, Refused(forgedRound, c) + Unsigned)))
            && target.Deployment.Nodes.Any(n => AttackedDeployment.LogHas(n, Refused(forgedRound + 1, round.Participants[0]) + Foreign));
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!RefusedEverywhere() && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(RefusedEverywhere(), string.Join("\n", target.Deployment.Nodes.Select(n => $"{n.Name}:\n{n.Tail(20)}")));
        // Each refusal is the recipient's node's own: no node checks (or logs) another node's clients' messages.
        Assert.Equal(round.Participants.Length, target.Deployment.Nodes.Sum(n => AttackedDeployment.LogCount(n, $"Refused SecAggServerMessage {target.SecureTaskId}/{forgedRound} for ")));
        attack.Blocked($"broker ACCESS_REFUSED from fl-node; with a service's credentials each recipient's node: {Unsigned} / {Foreign}");
        output.WriteLine($"{round.Participants.Length} unsigned and 1 foreign-signed SecAggServerMessage refused by the recipients' nodes");
    }

    [Fact]
    public async Task NaN_and_infinity_in_every_numeric_field_a_node_can_send_are_refused_into_the_error_queues_or_with_a_logged_reason()
    {
        var attack = target.Ledger.Try("NaN and infinity in every numeric field a node can send");
        var samples = new (Type Type, object Message, string Queue)[]
        {
            (typeof(UpdateSubmitted), new UpdateSubmitted(target.SecureTaskId, 7, "node-1-c000", 10, 10, 610, "d", null, new LocalMetrics(0.5, 1, 3)),
                "fl-microservices-aggregation-consumers-update-submitted_error"),
            (typeof(RegisterClient), new RegisterClient("hostile-client", new ClientCapabilities(10, 2, 1 << 30, ["logreg"], [new ClientDataset("synthetic", [60], 10, 10)], 0.1)),
                "fl-microservices-registry-consumers-register-client_error"),
            (typeof(ClientHeartbeat), new ClientHeartbeat("node-1-c000", 0.2, 1 << 30, DateTimeOffset.UtcNow),
                "fl-microservices-registry-consumers-client-heartbeat_error"),
        };
        string[] hostile = ["NaN", "\"NaN\"", "Infinity", "\"-Infinity\"", Overflow];
        // 1e999 is valid JSON that reads as infinity into a double: those messages reach their consumer, which refuses the number with a logged reason.
        var refusals = new Dictionary<string, (string Service, string Logged)>(StringComparer.Ordinal)
        {
            ["UpdateSubmitted.metrics.trainLoss"] = ("Aggregation", $"Manifest of node-1-c000 for {target.SecureTaskId}/7 refused: metrics.trainLoss is Infinity: the numbers of a manifest must be finite"),
            ["UpdateSubmitted.metrics.trainSeconds"] = ("Aggregation", $"Manifest of node-1-c000 for {target.SecureTaskId}/7 refused: metrics.trainSeconds is Infinity"),
            ["RegisterClient.capabilities.cpuLoad"] = ("Registry", "Client hostile-client rejected: Capabilities.CpuLoad Infinity must be a finite number >= 0"),
            ["ClientHeartbeat.cpuLoad"] = ("Registry", "Heartbeat from node-1-c000 carries cpuLoad Infinity, not a finite number: taken as 0"),
        };
        var (user, password) = target.NodeCredentials();
        await using var connection = await target.ConnectAsync(user, password);
        var expected = new Dictionary<string, uint>();
        var before = new Dictionary<string, uint>();
        foreach (var (_, _, queue) in samples) before[queue] = await target.QueueDepthAsync(queue);
        var fields = new List<string>();
        foreach (var (type, message, queue) in samples)
        {
            var json = JsonSerializer.SerializeToNode(message, type, SystemTextJsonMessageSerializer.Options)!;
            foreach (var path in HostileJson.NumericPaths(json))
            {
                fields.Add($"{type.Name}.{path}");
                foreach (var token in hostile)
                {
                    var copy = json.DeepClone();
                    HostileJson.Set(copy, path, "@@hostile@@");
                    var body = Encoding.UTF8.GetString(AttackedDeployment.Envelope(type, copy)).Replace("\"@@hostile@@\"", token, StringComparison.Ordinal);
                    Assert.Equal(0, await AttackedDeployment.PublishAsync(connection, BrokerAccount.ExchangeOf(type), Encoding.UTF8.GetBytes(body)));
                    if (!(token == Overflow && refusals.ContainsKey($"{type.Name}.{path}"))) expected[queue] = expected.GetValueOrDefault(queue) + 1;
                }
            }
        }
        output.WriteLine($"{fields.Count} numeric fields x {hostile.Length} tokens: {string.Join(", ", fields)}");
        Assert.True(fields.Count >= 14, $"only {fields.Count} numeric fields found");
        Assert.All(refusals.Keys, f => Assert.Contains(f, fields));

        // The others land in their consumer's _error queue (System.Text.Json refuses them; the consumer never runs), with MassTransit's fault headers.
        var deadline = DateTime.UtcNow.AddMinutes(3);
        var depths = new Dictionary<string, uint>();
        do
        {
            foreach (var (_, _, queue) in samples) depths[queue] = await target.QueueDepthAsync(queue) - before[queue];
            if (samples.All(s => depths[s.Queue] >= expected[s.Queue])) break;
            await Task.Delay(500);
        } while (DateTime.UtcNow < deadline);
        foreach (var (_, _, queue) in samples) Assert.Equal(expected[queue], depths[queue]);
        foreach (var (field, (service, logged)) in refusals)
        {
            var process = target.Deployment.Services[service];
            while (!AttackedDeployment.LogHas(process, logged) && DateTime.UtcNow < deadline) await Task.Delay(500);
            Assert.True(AttackedDeployment.LogHas(process, logged), $"{field} = {Overflow}: not in the {service} log: {logged}\n{process.Tail(30)}");
        }
        Assert.DoesNotContain(target.Observer.Of<ClientRegistered>(), c => c.ClientId == "hostile-client");
        foreach (var service in target.Deployment.Services.Values) Assert.False(service.HasExited, $"{service.Name} exited:\n{service.Tail(20)}");
        attack.Blocked($"{expected.Values.Sum(v => v)} messages in the consumers' _error queues; {refusals.Count} with {Overflow} in a double refused with the reason in the service's log; nothing registered, every service running");
    }

    [Fact]
    public async Task A_flood_of_slices_for_rounds_that_never_start_keeps_the_aggregation_under_its_budget_and_then_expires()
    {
        var attack = target.Ledger.Try("slice flood for rounds that never start");
        var aggregation = target.Deployment.Services["Aggregation"];
        var before = RssBytes(aggregation);
        using var stream = Stream();
        var payload = new byte[UpdateSliceCodec.MaxPayloadBytes];
        for (var i = 0; i < 1200; i++) // 1,200 slices of 256 KiB: 300 MiB for 30 rounds of a task that does not exist
            await stream.ProduceAsync(new UpdateSlice("flood-task", 1 + i / 40, $"flood-{i % 40}", i % 40, 40, (long)(i % 40) * UpdateSliceCodec.MaxElements, 1,
                ElementType.Float32, payload), CancellationToken.None);
        stream.Flush(TimeSpan.FromSeconds(60));

        // Both recorded: slices over the budget dropped, and what was held dropped after Aggregation:HeldLifetime ("Round flood-task/N never opened").
        var deadline = DateTime.UtcNow.AddMinutes(4);
        var peak = before;
        while (!(AttackedDeployment.LogHas(aggregation, "for unknown round flood-task/") && AttackedDeployment.LogHas(aggregation, "Round flood-task/")) && DateTime.UtcNow < deadline)
        {
            peak = Math.Max(peak, RssBytes(aggregation));
            await Task.Delay(200);
        }
        Assert.True(AttackedDeployment.LogHas(aggregation, "for unknown round flood-task/"), $"no slice was dropped over the budget:\n{aggregation.Tail(20)}");
        Assert.True(AttackedDeployment.LogHas(aggregation, "Round flood-task/"), $"the held slices did not expire (Round flood-task/N never opened):\n{aggregation.Tail(20)}");
        attack.Blocked("aggregation log: slices for unknown round dropped over the budget, then expired (never opened)");
        var growth = (peak - before) / (1024.0 * 1024);
        output.WriteLine($"aggregation RSS {before / (1024.0 * 1024):0} MiB before the flood, peak {peak / (1024.0 * 1024):0} MiB (+{growth:0} MiB for 300 MiB of slices; budget 64 MiB)");
        // Not asserted: the process's resident size follows the garbage collector's large-object heap (every 256 KiB record
        // read is a new array), not what is held; the held bytes are bounded by the budget (HeldUpdateLimitTests).
        Assert.False(aggregation.HasExited);
    }

    [Fact]
    public async Task An_oversize_slice_on_the_stream_is_skipped_with_the_reason()
    {
        var attack = target.Ledger.Try("oversize slice on the update stream");
        var aggregation = target.Deployment.Services["Aggregation"];
        var valid = UpdateSliceCodec.Encode(new UpdateSlice("oversize-task", 1, "big", 0, 1, 0, 1, ElementType.Float32, new byte[UpdateSliceCodec.MaxPayloadBytes]));
        var bytes = valid.Concat(new byte[4096]).ToArray();
        BitConverter.TryWriteBytes(bytes.AsSpan(28, 4), UpdateSliceCodec.MaxElements + 1024); // announces more than the largest slice
        using var stream = Stream();
        await stream.ProduceRawAsync(0, bytes, CancellationToken.None);
        stream.Flush(TimeSpan.FromSeconds(60));

        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (!AttackedDeployment.LogHas(aggregation, "Malformed record") && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(AttackedDeployment.LogHas(aggregation, $"{UpdateSliceCodec.MaxElements + 1024}"), $"no rejection naming the element count:\n{aggregation.Tail(20)}");
        attack.Blocked("aggregation log: Malformed record naming the element count");
    }

    private KafkaUpdateStream Stream() => new(target.Deployment.KafkaBootstrap, new UpdateStreamOptions { Transport = "Kafka", Topic = target.Deployment.Topic },
        ExternalCallResilience.Create("kafka", new ResilienceOptions(), KafkaUpdateStream.IsTransient), NullLoggerFactory.Instance);

    private static long RssBytes(ServiceProcess process)
    {
        using var p = Process.GetProcessById(process.ProcessId ?? throw new InvalidOperationException($"{process.Name} is not running"));
        p.Refresh();
        return p.WorkingSet64;
    }
}
