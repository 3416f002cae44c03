using FlMicroservices.Contracts.V1;
using FlMicroservices.Node;
using FlMicroservices.Simulation;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>The embedded platform with signed updates (docs/signing.md): every update is signed and verified, and signing changes no number.</summary>
public sealed class SignedUpdatesEndToEndTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-signed-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task Signed_runs_give_the_same_results_as_an_unsigned_one_and_every_update_verifies()
    {
        var runs = new Dictionary<string, (SimulationResult Result, EventLog Events)>();
        foreach (var signing in new[] { SigningAlgorithms.None, SigningAlgorithms.EcdsaP256, SigningAlgorithms.MlDsa65 })
        {
            var events = new EventLog();
            var result = await SimulationRunner.RunAsync(new SimulationOptions
            {
                Dataset = "synthetic", Clients = 8, Fraction = 0.5, Rounds = 2, LocalEpochs = 1, BatchSize = 10, LearningRate = 0.05, Seed = 5,
                OutDir = Path.Combine(_out, signing), Signing = signing,
            }, events: events);
            runs[signing] = (result, events);
        }

        var unsigned = runs[SigningAlgorithms.None].Result;
        Assert.Equal(2, unsigned.Rounds);
        foreach (var (signing, (result, events)) in runs)
        {
            Assert.Equal(unsigned.AccuracyPerRound, result.AccuracyPerRound);
            Assert.Equal(unsigned.LossPerRound, result.LossPerRound);
            var log = events.All.Select(e => e.Message).ToList();
            var updates = log.OfType<UpdateSubmitted>().ToList();
            Assert.Equal(8, updates.Count);
            Assert.All(updates, u => Assert.Equal(signing == SigningAlgorithms.None ? null : signing, u.SignatureAlgorithm));
            Assert.All(updates, u => Assert.Equal(signing != SigningAlgorithms.None, u.Signature is { Length: > 0 } && u.Nonce is { Length: 32 }));
            Assert.All(log.OfType<RoundCompleted>(), c => Assert.Equal((true, 4, 0), (c.Succeeded, c.Contributors.Length, c.Rejected.Length)));
            // A run's one task signs with one algorithm (or none): its virtual clients register that key alone.
            string[] keys = signing == SigningAlgorithms.None ? [] : [signing];
            Assert.All(log.OfType<ClientRegistered>(), r => Assert.Equal(keys, r.Keys?.Select(k => k.Algorithm) ?? []));
        }
    }

    [Fact]
    public async Task A_secure_round_verifies_signatures_over_the_masked_updates()
    {
        var events = new EventLog();
        var result = await SimulationRunner.RunAsync(new SimulationOptions
        {
            Dataset = "synthetic-iid", Clients = 6, Fraction = 1.0, Rounds = 1, LocalEpochs = 1, Seed = 3, OutDir = _out,
            SecAgg = "secagg-plus", Signing = SigningAlgorithms.MlDsa65,
        }, events: events);

        Assert.Equal(1, result.Rounds);
        var log = events.All.Select(e => e.Message).ToList();
        // The plan requires ML-DSA-65 signatures, so each of the six masked inputs in the sum passed verification.
        Assert.Equal(SigningAlgorithms.MlDsa65, Assert.Single(log.OfType<RoundStarted>()).Settings!.Signing);
        var completed = Assert.Single(log.OfType<RoundCompleted>());
        Assert.True(completed.Succeeded, completed.FailureReason);
        Assert.Equal(6, completed.Contributors.Length);
        Assert.Empty(completed.Rejected);
    }

    [Fact]
    public void A_nodes_client_keys_survive_a_restart_and_a_damaged_key_file_is_named()
    {
        var folder = Path.Combine(_out, "identity");
        string[] before;
        using (var identities = new ClientIdentities(folder)) before = identities.PublicKeysOf("node-1-c000").Select(k => k.PublicKey).ToArray();
        using (var restarted = new ClientIdentities(folder))
        {
            Assert.Equal(before, restarted.PublicKeysOf("node-1-c000").Select(k => k.PublicKey));
            Assert.NotEqual(before, restarted.PublicKeysOf("node-1-c001").Select(k => k.PublicKey));
        }
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "node-1-c000.ecdsa-p256.key")));

        var damaged = Path.Combine(folder, "node-1-c000.ml-dsa-65.key");
        File.WriteAllBytes(damaged, [1, 2, 3]);
        using var again = new ClientIdentities(folder);
        var error = Assert.Throws<InvalidDataException>(() => again.KeyOf("node-1-c000", SigningAlgorithms.MlDsa65));
        Assert.Contains(damaged, error.Message);
        Assert.Equal(before[0], Convert.ToBase64String(again.KeyOf("node-1-c000", SigningAlgorithms.EcdsaP256).PublicKey));
    }
}
