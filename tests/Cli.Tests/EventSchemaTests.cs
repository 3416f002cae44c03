using System.Text.Json.Nodes;
using FlMicroservices.Infrastructure.Schemas;

namespace FlMicroservices.Cli.Tests;

/// <summary>The committed docs/events/schemas match the contract types, and `fl events schema` writes them.</summary>
[Collection("console")]
public sealed class EventSchemaTests : IDisposable
{
    private const string Regenerate = "dotnet run --project tools/Fl.Cli -- events schema --out docs/events/schemas";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fl-schemas-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void The_committed_schemas_are_what_the_contract_types_generate()
    {
        var committed = Path.Combine(RepositoryRoot, "docs", "events", "schemas");
        var generated = MessageSchemas.Files().ToDictionary(f => f.File, f => f.Json);
        var onDisk = Directory.Exists(committed)
            ? Directory.EnumerateFiles(committed, "*.schema.json").ToDictionary(f => Path.GetFileName(f), f => File.ReadAllText(f).ReplaceLineEndings("\n"))
            : [];

        var problems = generated.Where(g => !onDisk.TryGetValue(g.Key, out var text) || text != g.Value)
            .Select(g => onDisk.ContainsKey(g.Key) ? $"{g.Key} differs" : $"{g.Key} is missing")
            .Concat(onDisk.Keys.Where(f => !generated.ContainsKey(f)).Select(f => $"{f} belongs to no contract message"))
            .ToArray();

        Assert.True(problems.Length == 0,
            $"docs/events/schemas is out of date with shared/Contracts ({string.Join("; ", problems)}). Regenerate with `{Regenerate}`, "
            + "then describe the change in docs/events.md and commit both.");
    }

    [Fact]
    public void The_messages_are_the_top_level_contract_records_only()
    {
        var names = ContractMessages.All.Select(t => t.Name).ToArray();

        Assert.Contains("RoundCompleted", names);
        Assert.Contains("TaskCreated", names);
        Assert.Contains("CreateTask", names);
        Assert.Contains("PrivacyBudgetDecision", names);
        Assert.DoesNotContain("TaskSpec", names);       // inside TaskCreated and CreateTask
        Assert.DoesNotContain("Contribution", names);   // inside RoundCompleted
        Assert.DoesNotContain("ClientCapabilities", names);
        Assert.Contains("ClientHeartbeat", names);       // a message of its own, and one client's beat inside ClientHeartbeats is HostedClientBeat
        Assert.Contains("ClientHeartbeats", names);
        Assert.DoesNotContain("HostedClientBeat", names);
        Assert.Equal(27, names.Length); // ClientHeartbeats came with 100,000-client nodes
    }

    [Fact]
    public async Task Fl_events_schema_writes_the_envelope_and_one_schema_per_message()
    {
        var (code, errors) = await SimulateCli.RunAsync("events", "schema", "--out", _folder);

        Assert.True(code == CliRunner.Ok, errors);
        Assert.Equal(ContractMessages.All.Count + 1, Directory.GetFiles(_folder, "*.schema.json").Length);
        var round = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, "RoundCompleted.schema.json")))!;
        Assert.Equal("urn:message:FlMicroservices.Contracts.V1:RoundCompleted", (string?)round["title"]);
        var required = round["required"]!.AsArray().Select(n => (string?)n).ToArray();
        Assert.Contains("taskId", required);
        Assert.Contains("accuracy", required); // MassTransit writes nulls: a round without evaluation still sends "accuracy": null
        Assert.DoesNotContain("evaluated", required); // added later with a default: older publishers leave it out
        Assert.Equal("string", (string?)round["properties"]!["completedAt"]!["type"]);
        var rewards = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder, "RewardsIssued.schema.json")))!;
        Assert.Equal("string", (string?)rewards["properties"]!["totalTokens"]!["type"]); // MassTransit writes decimals as strings
    }

    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "FlMicroservices.sln"))) return dir.FullName;
            throw new InvalidOperationException($"No FlMicroservices.sln above {AppContext.BaseDirectory}.");
        }
    }
}
