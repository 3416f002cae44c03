using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit.Serialization;

namespace FlMicroservices.Infrastructure.Tests.Messaging;

/// <summary>The selector's signature on RoundStarted: what a node accepts and what it refuses, with the reason.</summary>
public sealed class CommandSigningTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fl-command-keys-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    internal static RoundStarted Round() => new("task-1", 3, 2, ["client-a", "client-b", "client-c"], new DateTimeOffset(2026, 12, 7, 8, 30, 1, 123, TimeSpan.FromHours(1)).AddTicks(4567),
        new TrainingConfig(2, 32, 0.05), PrivacyConfig.None with { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationClip = 0.1 + 0.2 },
        4096, "mlp", "trimmed-mean", new Dictionary<string, string> { ["beta"] = "0.1", ["alpha"] = "x" }, 0.8, 42, 1.0 / 3);

    // What a node reads: the message after MassTransit's JSON serializer took it over the wire.
    private static RoundStarted OverTheWire(RoundStarted message) =>
        JsonSerializer.Deserialize<RoundStarted>(JsonSerializer.Serialize(message, SystemTextJsonMessageSerializer.Options), SystemTextJsonMessageSerializer.Options)!;

    [Fact]
    public void A_round_the_selector_signed_verifies_at_a_node_after_crossing_the_wire()
    {
        using var selector = CommandSigning.For(_directory, BrokerAccounts.Selector);
        using var node = CommandSigning.For(_directory, BrokerAccounts.Node);
        var signed = selector.Sign(Round());

        Assert.False(string.IsNullOrEmpty(signed.IssuerSignature));
        Assert.Equal(CommandSigning.Statement(Round()), CommandSigning.Statement(signed)); // nothing else changed
        Assert.Null(node.Problem(OverTheWire(signed)));
        Assert.Null(node.Problem(signed));
    }

    public static TheoryData<string> Alterations => ["privacy", "participants", "deadline", "round", "strategy parameter", "model version", "training"];

    [Theory]
    [MemberData(nameof(Alterations))]
    public void Any_field_altered_after_signing_fails_verification(string field)
    {
        using var selector = CommandSigning.For(_directory, BrokerAccounts.Selector);
        using var node = CommandSigning.For(_directory, BrokerAccounts.Node);
        var signed = selector.Sign(Round());
        var altered = field switch
        {
            "privacy" => signed with { Privacy = PrivacyConfig.None },
            "participants" => signed with { Participants = ["client-a", "client-b", "attacker"] },
            "deadline" => signed with { Deadline = signed.Deadline.AddTicks(1) },
            "round" => signed with { Round = 4 },
            "strategy parameter" => signed with { StrategyParameters = new Dictionary<string, string> { ["beta"] = "0.4", ["alpha"] = "x" } },
            "model version" => signed with { ModelVersion = 1 },
            "training" => signed with { Training = signed.Training with { LearningRate = 5 } },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        Assert.Equal("RoundStarted's signature does not verify against the key of fl-selector: it was altered or signed by another key", node.Problem(OverTheWire(altered)));
    }

    [Fact]
    public void An_unsigned_round_a_round_signed_by_another_key_and_a_garbled_signature_are_refused_with_their_reason()
    {
        using var selector = CommandSigning.For(_directory, BrokerAccounts.Selector);
        using var node = CommandSigning.For(_directory, BrokerAccounts.Node);
        using var impostor = CommandSigning.For(Path.Combine(_directory, "elsewhere"), BrokerAccounts.Selector);
        _ = selector.Sign(Round());

        Assert.Equal("RoundStarted carries no signature of fl-selector, which issues it", node.Problem(Round()));
        Assert.Contains("does not verify", node.Problem(impostor.Sign(Round())));
        Assert.Equal("RoundStarted's signature is not base64", node.Problem(Round() with { IssuerSignature = "not base64!" }));
        Assert.Contains("does not verify", node.Problem(Round() with { IssuerSignature = Convert.ToBase64String(new byte[64]) }));
    }

    [Fact]
    public void Without_the_selectors_public_key_a_node_names_the_missing_file()
    {
        using var node = CommandSigning.For(_directory, BrokerAccounts.Node);
        var problem = node.Problem(Round() with { IssuerSignature = Convert.ToBase64String(new byte[64]) });
        Assert.Equal($"there is no public key of fl-selector ({Path.Combine(_directory, "selector.command-key.pub")}) to check RoundStarted's signature against", problem);
    }

    [Fact]
    public void The_key_is_created_once_private_to_its_owner_and_kept_across_restarts()
    {
        string first;
        using (var selector = CommandSigning.For(_directory, BrokerAccounts.Selector)) first = selector.Sign(Round()).IssuerSignature!;
        var keyFile = Path.Combine(_directory, "selector.command-key");
        Assert.True(File.Exists(keyFile));
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", File.ReadAllText(keyFile + ".pub"));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        var pem = File.ReadAllText(keyFile);

        using var restarted = CommandSigning.For(_directory, BrokerAccounts.Selector);
        using var node = CommandSigning.For(_directory, BrokerAccounts.Node);
        Assert.Equal(pem, File.ReadAllText(keyFile));
        Assert.Null(node.Problem(Round() with { IssuerSignature = first })); // signed before the restart
        Assert.Null(node.Problem(restarted.Sign(Round())));
    }

    [Fact]
    public void A_corrupt_key_file_is_a_configuration_error_naming_the_file()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "selector.command-key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        var error = Assert.Throws<InvalidOperationException>(() => CommandSigning.For(_directory, BrokerAccounts.Selector));
        Assert.StartsWith($"Invalid configuration: {Path.Combine(_directory, "selector.command-key")} is not a PEM P-256 private key", error.Message);
    }

    [Fact]
    public void Off_signs_nothing_and_checks_nothing_and_an_account_that_issues_no_rounds_cannot_sign()
    {
        using var off = CommandSigning.Off();
        var round = Round();
        Assert.Same(round, off.Sign(round));
        Assert.Null(off.Problem(Round()));
        Assert.False(off.IsOn);

        using var node = CommandSigning.For(_directory, BrokerAccounts.Node);
        Assert.True(node.IsOn);
        Assert.Throws<InvalidOperationException>(() => node.Sign(Round()));
        Assert.False(File.Exists(Path.Combine(_directory, "node.command-key")));
    }
}
