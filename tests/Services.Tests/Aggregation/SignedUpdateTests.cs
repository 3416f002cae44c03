using FlMicroservices.Aggregation;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Contracts.Wire;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Security;
using FlMicroservices.Infrastructure.Models;
using FlMicroservices.Infrastructure.State;
using FlMicroservices.Infrastructure.UpdateStream;
using FlMicroservices.Testing;
using FlMicroservices.Testing.Aggregation;

namespace FlMicroservices.Services.Tests.Aggregation;

/// <summary>
/// Signed updates (docs/signing.md) through the aggregation service over the embedded update stream: what fails verification is
/// refused with its reason and leaves no trace in the model, which is exactly the aggregate of the verified updates.
/// </summary>
public sealed class SignedUpdateTests : IAsyncLifetime
{
    private const int Parameters = 1_000;
    private const int SliceElements = 256;
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-signed-" + Guid.NewGuid().ToString("N"));
    private HarnessHost _bus = null!;

    public async Task InitializeAsync() => _bus = await HarnessHost.StartAsync();

    public async Task DisposeAsync()
    {
        await _bus.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    public static TheoryData<string> Algorithms => [SigningAlgorithms.EcdsaP256, SigningAlgorithms.MlDsa65];

    private sealed record Client(string Id, SigningKeyPair Key, List<UpdateSlice> Slices, int Examples);

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Updates_signed_with_the_registered_keys_are_aggregated(string algorithm)
    {
        var (started, clients) = Round(algorithm, 4);

        var (aggregated, candidate) = await RunAsync(started, clients, clients.SelectMany(c => c.Slices), clients.Select(c => Signed(started, c)));

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        Assert.Empty(aggregated.Rejected);
        Assert.Equal(["c0", "c1", "c2", "c3"], aggregated.Contributors.Select(c => c.ClientId));
        Assert.Equal(Aggregate(started, clients), candidate);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task Unsigned_wrong_key_and_other_round_updates_are_rejected_and_taken_back_out(string algorithm)
    {
        var (started, clients) = Round(algorithm, 5);
        using var stranger = SigningKeyPair.Generate(algorithm);
        var earlier = started with { Round = 1 };
        var otherAlgorithm = algorithm == SigningAlgorithms.EcdsaP256 ? SigningAlgorithms.MlDsa65 : SigningAlgorithms.EcdsaP256;
        UpdateSubmitted[] manifests =
        [
            Signed(started, clients[0]),
            Manifest(clients[1]), // unsigned
            Signed(started, clients[2] with { Key = stranger }), // signed, but not with the key bound to c2
            Signed(earlier, clients[3]) with { Round = started.Round }, // a round-1 signature relabelled for round 2
            Signed(started, clients[4]) with { SignatureAlgorithm = otherAlgorithm },
        ];

        var (aggregated, candidate) = await RunAsync(started, clients, clients.SelectMany(c => c.Slices), manifests);

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        Assert.Equal(["c0"], aggregated.Contributors.Select(c => c.ClientId));
        var reasons = aggregated.Rejected.ToDictionary(r => r.ClientId, r => r.Reason);
        Assert.Equal(["c1", "c2", "c3", "c4"], reasons.Keys.Order());
        Assert.StartsWith($"update refused: unsigned: task t requires {algorithm} signatures", reasons["c1"]);
        Assert.StartsWith($"update refused: the {algorithm} signature does not verify with client c2's registered key for task t, round 2, model version 1", reasons["c2"]);
        Assert.StartsWith($"update refused: the {algorithm} signature does not verify with client c3's registered key", reasons["c3"]);
        Assert.StartsWith($"update refused: signed with '{otherAlgorithm}', task t requires {algorithm}", reasons["c4"]);
        Assert.All(reasons.Values, r => Assert.Contains($"its {clients[0].Slices.Count} folded slices were taken back out", r));
        Assert.Equal(Aggregate(started, clients.Take(1)), candidate);
    }

    [Fact]
    public async Task An_impersonators_manifest_is_refused_and_the_victims_own_update_counts()
    {
        var (started, clients) = Round(SigningAlgorithms.EcdsaP256, 3);
        var victim = clients[1];
        // The attacker, a registered client itself, claims the victim's id for an update of its own, signed with its own key.
        var forged = Signed(started, clients[2] with { Id = victim.Id });

        var (aggregated, candidate) = await RunAsync(started, clients, clients.SelectMany(c => c.Slices),
            [Signed(started, clients[0]), forged, Signed(started, victim), Signed(started, clients[2])]);

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        Assert.Empty(aggregated.Rejected);
        Assert.Equal(["c0", "c1", "c2"], aggregated.Contributors.Select(c => c.ClientId));
        Assert.Equal(Aggregate(started, clients), candidate);
    }

    [Fact]
    public async Task Two_different_signed_updates_for_one_round_reject_the_client()
    {
        var (started, clients) = Round(SigningAlgorithms.EcdsaP256, 3);
        var other = Slices("c1", 2, Enumerable.Repeat(0.5f, Parameters).ToArray(), clients[1].Examples);
        var second = Signed(started, clients[1] with { Slices = other });

        var (aggregated, candidate) = await RunAsync(started, clients, clients.SelectMany(c => c.Slices),
            [Signed(started, clients[0]), Signed(started, clients[1]), second, Signed(started, clients[2])]);

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        var rejected = Assert.Single(aggregated.Rejected);
        Assert.Equal("c1", rejected.ClientId);
        Assert.StartsWith($"sent two different updates for round 2 (digests {UpdateDigest.Of(clients[1].Slices)[..12]} and {UpdateDigest.Of(other)[..12]})", rejected.Reason);
        Assert.Equal(Aggregate(started, [clients[0], clients[2]]), candidate);
    }

    [Fact]
    public async Task A_manifest_with_an_infinite_metric_is_refused_in_an_open_round_and_never_held_for_one_not_open()
    {
        var (started, clients) = Round(SigningAlgorithms.EcdsaP256, 3);
        // A client's own, validly signed manifest: the signature does not cover the metrics, the boundary check does.
        var infinite = Signed(started, clients[1]) with { Metrics = new LocalMetrics(double.PositiveInfinity, 1, 1) };
        var early = Manifest(clients[2]) with { Round = 3, Metrics = new LocalMetrics(0.5, double.NaN, 1) };

        var (aggregated, candidate) = await RunAsync(started, clients, clients.SelectMany(c => c.Slices),
            [Signed(started, clients[0]), infinite, Signed(started, clients[2])], before: [early]);

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        var rejected = Assert.Single(aggregated.Rejected);
        Assert.Equal("c1", rejected.ClientId);
        Assert.StartsWith("update refused: metrics.trainLoss is Infinity: the numbers of a manifest must be finite", rejected.Reason);
        Assert.Equal(Aggregate(started, [clients[0], clients[2]]), candidate);
        Assert.Empty(_held); // the round-3 manifest with NaN was refused, not kept (it would have broken every checkpoint)
    }

    [Fact]
    public async Task A_tampered_digest_and_slices_without_a_manifest_are_taken_out_at_the_deadline()
    {
        var (started, clients) = Round(SigningAlgorithms.EcdsaP256, 4);
        started = started with { Deadline = DateTimeOffset.UtcNow.AddSeconds(6) };
        var tampered = Signed(started, clients[2]) with { Digest = UpdateDigest.Of(clients[0].Slices) };

        // c3 streams its slices but never vouches for them with a signed manifest.
        var (aggregated, candidate) = await RunAsync(started, clients, clients.SelectMany(c => c.Slices),
            [Signed(started, clients[0]), Signed(started, clients[1]), tampered]);

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        var reasons = aggregated.Rejected.ToDictionary(r => r.ClientId, r => r.Reason);
        Assert.Equal(["c2", "c3"], reasons.Keys.Order());
        Assert.StartsWith("update refused: the ecdsa-p256 signature does not verify with client c2's registered key", reasons["c2"]);
        Assert.StartsWith("update refused: its slices came without a signed manifest (task t requires ecdsa-p256 signatures)", reasons["c3"]);
        Assert.Empty(aggregated.Dropouts);
        Assert.Equal(Aggregate(started, clients.Take(2)), candidate);
    }

    [Fact]
    public async Task The_verifier_refuses_a_resent_statement_and_an_unknown_client()
    {
        var (started, clients) = Round(SigningAlgorithms.MlDsa65, 2);
        var keys = new ClientKeyDirectory();
        await keys.RecordAsync(new ClientRegistered("c0", Capabilities, DateTimeOffset.UtcNow, [clients[0].Key.ToClientKey()]), CancellationToken.None);
        var verifier = new UpdateVerifier(keys, new NonceLedger());
        var manifest = Signed(started, clients[0]);

        Assert.Null(await verifier.ProblemAsync(started, manifest, CancellationToken.None));
        Assert.Equal($"replayed: nonce {manifest.Nonce} of client c0 was already used", await verifier.ProblemAsync(started, manifest, CancellationToken.None));
        Assert.Equal("no ml-dsa-65 key is registered for client c1", await verifier.ProblemAsync(started, Signed(started, clients[1]), CancellationToken.None));
        var unsignedTask = started with { Settings = new RoundSettings() };
        Assert.Null(await verifier.ProblemAsync(unsignedTask, Manifest(clients[1]), CancellationToken.None));
    }

    [Fact]
    public async Task The_key_directory_survives_an_aggregation_restart()
    {
        Directory.CreateDirectory(_root);
        var path = Path.Combine(_root, "aggregation.db");
        using var key = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        using (var store = new SqliteStateStore(path))
            await new ClientKeyDirectory(store).RecordAsync(new ClientRegistered("c0", Capabilities, DateTimeOffset.UtcNow, [key.ToClientKey()]), CancellationToken.None);

        using var reopened = new SqliteStateStore(path);
        var restarted = new ClientKeyDirectory(reopened);

        Assert.Equal(key.ToClientKey(), await restarted.FindAsync("c0", SigningAlgorithms.EcdsaP256, CancellationToken.None));
        Assert.Null(await restarted.FindAsync("c0", SigningAlgorithms.MlDsa65, CancellationToken.None));
        Assert.Null(await restarted.FindAsync("c1", SigningAlgorithms.EcdsaP256, CancellationToken.None));
    }

    [Fact]
    public async Task A_resent_statement_is_refused_after_a_restart_unless_its_effect_was_never_stored()
    {
        Directory.CreateDirectory(_root);
        var path = Path.Combine(_root, "aggregation.db");
        var (started, clients) = Round(SigningAlgorithms.EcdsaP256, 2);
        var stored = Signed(started, clients[0]);
        var unstored = Signed(started, clients[1]);
        using (var store = new SqliteStateStore(path))
        {
            var verifier = await VerifierAsync(store, clients);
            Assert.Null(await verifier.ProblemAsync(started, stored, CancellationToken.None));
            await verifier.RememberAsync(stored, CancellationToken.None); // the manifest's effect is stored
            Assert.Null(await verifier.ProblemAsync(started, unstored, CancellationToken.None)); // the process dies before this one's is
        }

        using var reopened = new SqliteStateStore(path);
        var restarted = await VerifierAsync(reopened, clients);

        Assert.Equal($"replayed: nonce {stored.Nonce} of client c0 was already used", await restarted.ProblemAsync(started, stored, CancellationToken.None));
        Assert.Null(await restarted.ProblemAsync(started, unstored, CancellationToken.None)); // the broker's redelivery is taken
        Assert.Equal($"replayed: nonce {unstored.Nonce} of client c1 was already used", await restarted.ProblemAsync(started, unstored, CancellationToken.None));
    }

    [Fact]
    public async Task A_refused_manifest_survives_a_restart_and_rejects_its_client_with_the_refusals_reason()
    {
        var (started, clients) = Round(SigningAlgorithms.EcdsaP256, 2);
        using var stranger = SigningKeyPair.Generate(SigningAlgorithms.EcdsaP256);
        var forged = Signed(started, clients[1] with { Key = stranger }); // c1's update, signed with a key not bound to c1
        var models = await ModelsAsync();
        var options = new AggregationOptions { CheckpointDirectory = Path.Combine(_root, "checkpoints") };
        // Before the restart: c0 delivers, and c1's manifest is refused before any of its slices arrive.
        var before = await StreamAsync(clients[0].Slices);
        await using (var first = await AggregationInstance.StartAsync(_bus.Bus, models, options, before))
        {
            await RegisterAsync(first, clients);
            await first.Opener.OpenAsync(started, CancellationToken.None);
            await first.StartIngestionAsync();
            await Eventually.TrueAsync(() => first.Ingestion.RecordsRead == clients[0].Slices.Count, TimeSpan.FromSeconds(30), "c0's slices to be read");
            await first.Router.OnManifestAsync(Signed(started, clients[0]), CancellationToken.None);
            await first.Router.OnManifestAsync(forged, CancellationToken.None);
            Assert.True(await first.Checkpointer.CheckpointAsync(CancellationToken.None));
        }

        // After it: the slices the refused manifest announces arrive; they are taken back out, and the round closes without them.
        await using var restarted = await AggregationInstance.StartAsync(_bus.Bus, models, options, await StreamAsync(clients[1].Slices));
        await RegisterAsync(restarted, clients);
        await restarted.StartIngestionAsync();
        var aggregated = await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));

        Assert.True(aggregated.Succeeded, aggregated.FailureReason);
        Assert.Equal(["c0"], aggregated.Contributors.Select(c => c.ClientId));
        var rejected = Assert.Single(aggregated.Rejected);
        Assert.Equal("c1", rejected.ClientId);
        Assert.StartsWith("update refused: the ecdsa-p256 signature does not verify with client c1's registered key for task t, round 2", rejected.Reason);
        Assert.Contains($"its {clients[1].Slices.Count} folded slices were taken back out", rejected.Reason);
        Assert.Equal(Aggregate(started, clients.Take(1)), await models.LoadCandidateAsync(aggregated.AggregateRef!, CancellationToken.None));
    }

    private static async Task<UpdateVerifier> VerifierAsync(IStateStore store, IEnumerable<Client> clients)
    {
        var keys = new ClientKeyDirectory(store);
        foreach (var client in clients)
            await keys.RecordAsync(new ClientRegistered(client.Id, Capabilities, DateTimeOffset.UtcNow, [client.Key.ToClientKey()]), CancellationToken.None);
        return new UpdateVerifier(keys, new NonceLedger(store));
    }

    private static async Task RegisterAsync(AggregationInstance aggregation, IEnumerable<Client> clients)
    {
        foreach (var client in clients)
            await aggregation.Keys.RecordAsync(new ClientRegistered(client.Id, Capabilities, DateTimeOffset.UtcNow, [client.Key.ToClientKey()]), CancellationToken.None);
    }

    private static async Task<InProcessUpdateStream> StreamAsync(IEnumerable<UpdateSlice> slices)
    {
        var stream = new InProcessUpdateStream(partitionCount: 2);
        foreach (var slice in slices) await stream.ProduceAsync(slice, CancellationToken.None);
        return stream;
    }

    private async Task<FileModelStore> ModelsAsync()
    {
        var models = new FileModelStore(Path.Combine(_root, "models"));
        await models.SaveVersionAsync(new ModelVersionInfo("t", 1, 1, 0, Parameters, "", null, null, false, DateTimeOffset.UtcNow), new float[Parameters], CancellationToken.None);
        return models;
    }

    private static readonly ClientCapabilities Capabilities = new(10, 1, 1L << 30, ["logreg"]);

    private static (RoundStarted Started, List<Client> Clients) Round(string algorithm, int count)
    {
        var rng = new Random(23);
        var clients = Enumerable.Range(0, count).Select(i =>
        {
            var delta = Enumerable.Range(0, Parameters).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.1f).ToArray();
            return new Client($"c{i}", SigningKeyPair.Generate(algorithm), Slices($"c{i}", 2, delta, 5 + i), 5 + i);
        }).ToList();
        var started = new RoundStarted("t", 2, 1, clients.Select(c => c.Id).ToArray(), DateTimeOffset.UtcNow.AddMinutes(5),
            new TrainingConfig(1, 10, 0.1), PrivacyConfig.None, SliceElements, "logreg", "fedavg", [], 0.2, 1, Settings: new RoundSettings(Signing: algorithm));
        return (started, clients);
    }

    private static List<UpdateSlice> Slices(string client, int round, float[] delta, int examples) =>
        UpdateSliceCodec.Slice("t", round, client, delta, examples, SliceElements).ToList();

    private static UpdateSubmitted Manifest(Client client) =>
        new("t", 2, client.Id, client.Examples, client.Slices.Count, Parameters, UpdateDigest.Of(client.Slices), null, new LocalMetrics(0.5, 1, 1));

    // What the node's UpdateSigning does: the statement of this update, bound to the round it is signed for.
    private static UpdateSubmitted Signed(RoundStarted round, Client client)
    {
        var manifest = Manifest(client);
        var nonce = UpdateStatement.NewNonce();
        var statement = new UpdateStatement("update", round.TaskId, round.Round, round.ModelVersion, client.Id, nonce, manifest.Digest,
            manifest.ExampleCount, manifest.SliceCount, manifest.ElementCount);
        return manifest with { Signature = Convert.ToBase64String(client.Key.Sign(statement.ToBytes())), Nonce = nonce, SignatureAlgorithm = client.Key.Algorithm };
    }

    private IReadOnlyList<UpdateSubmitted> _held = [];

    // before: manifests the aggregation gets before the round opens (for rounds that are not open); what it then holds is in _held.
    private async Task<(RoundAggregated Aggregated, float[] Candidate)> RunAsync(RoundStarted started, IReadOnlyList<Client> clients,
        IEnumerable<UpdateSlice> slices, IEnumerable<UpdateSubmitted> manifests, IEnumerable<UpdateSubmitted>? before = null)
    {
        var models = await ModelsAsync();
        var all = slices.ToList();
        var stream = await StreamAsync(all);
        await using var aggregation = await AggregationInstance.StartAsync(_bus.Bus, models, stream: stream);
        await RegisterAsync(aggregation, clients);
        foreach (var manifest in before ?? []) await aggregation.Router.OnManifestAsync(manifest, CancellationToken.None);
        _held = aggregation.Registry.HeldManifests();
        await aggregation.Opener.OpenAsync(started, CancellationToken.None);
        await aggregation.StartIngestionAsync();
        await Eventually.TrueAsync(() => aggregation.Ingestion.RecordsRead == all.Count, TimeSpan.FromSeconds(30), "every record to be read");
        foreach (var manifest in manifests) await aggregation.Router.OnManifestAsync(manifest, CancellationToken.None);
        var aggregated = await _bus.NextPublishedAsync<RoundAggregated>(TimeSpan.FromSeconds(60));
        var candidate = aggregated.AggregateRef is { } reference ? await models.LoadCandidateAsync(reference, CancellationToken.None) : [];
        return (aggregated, candidate);
    }

    private static float[] Aggregate(RoundStarted started, IEnumerable<Client> clients)
    {
        var round = new RoundAggregation(started with { Settings = null }, Parameters, new FedAvg());
        foreach (var client in clients)
        {
            foreach (var slice in client.Slices) Assert.Equal(SliceOutcome.Folded, round.Fold(slice));
            round.AcceptManifest(Manifest(client));
        }
        var result = new float[Parameters];
        Assert.True(round.Close(new float[Parameters], result).Succeeded);
        return result;
    }
}
