using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Xunit.Abstractions;

namespace FlMicroservices.Distributed.Tests;

/// <summary>The README's "Running as separate processes" commands, run exactly as written by scripts/readme-deployed.sh.</summary>
public sealed class ReadmeDeployedTests(ITestOutputHelper output)
{
    private static readonly int[] ServicePorts = [5100, 5101, 5102, 5103, 5104, 5105, 5106];

    [Fact]
    public async Task The_READMEs_separate_process_commands_complete_five_rounds_and_exit_0()
    {
        var busy = ServicePorts.Where(InUse).ToList();
        Assert.True(busy.Count == 0, $"The README's services listen on ports 5100-5106; {string.Join(", ", busy)} already in use on this machine.");
        var root = RepositoryPaths.Root;
        Assert.False(File.Exists(Path.Combine(root, ".fl", "infra", "env")), "scripts/infra.sh is already up in this checkout; stop it (scripts/infra.sh down) to run this test.");

        FlProcess.Result run;
        try
        {
            run = await FlProcess.RunAsync("bash", [Path.Combine(root, "scripts", "readme-deployed.sh")], new Dictionary<string, string>(), TimeSpan.FromMinutes(20));
        }
        finally
        {
            // Stops the infrastructure even when the script itself was killed at the time limit.
            await FlProcess.RunAsync("bash", [Path.Combine(root, "scripts", "infra.sh"), "down"], new Dictionary<string, string>(), TimeSpan.FromMinutes(2));
        }
        output.WriteLine(run.Output);

        Assert.False(run.TimedOut, $"The README's commands did not finish within 20 minutes:\n{run.Output}");
        Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}:\n{run.Output}");
        var lines = run.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("{\"", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var rounds = lines.Where(l => l.TryGetProperty("round", out _)).ToList();
        Assert.Equal([1, 2, 3, 4, 5], rounds.Select(r => r.GetProperty("round").GetInt32()));
        Assert.All(rounds, r => Assert.True(r.GetProperty("succeeded").GetBoolean(), r.ToString()));
        // Round 1 may start while the nodes are still registering their clients, so it may have fewer than 30.
        Assert.InRange(rounds[0].GetProperty("contributors").GetInt32(), 1, 30);
        Assert.All(rounds, r => Assert.True(r.GetProperty("evaluated").GetBoolean(), r.ToString()));
        // The model learns: the last round's validation accuracy is above the first round's.
        var accuracies = rounds.Select(r => r.GetProperty("accuracy").GetDouble()).ToArray();
        Assert.True(accuracies[^1] > accuracies[0], $"accuracy did not rise: {string.Join(", ", accuracies)}");
        var end = Assert.Single(lines, l => l.TryGetProperty("task_completed", out _));
        Assert.True(end.GetProperty("succeeded").GetBoolean());
        Assert.Equal("all rounds completed", end.GetProperty("reason").GetString());
        Assert.Equal(5, end.GetProperty("rounds").GetInt32());
        // `fl task list` through the gateway shows the task, completed after its 5 rounds.
        var taskId = Assert.Single(lines, l => l.TryGetProperty("submitted", out _)).GetProperty("task_id").GetString()!;
        var listed = run.Output.Split('\n').Select(l => l.Trim()).SingleOrDefault(l => l.StartsWith(taskId + " ", StringComparison.Ordinal));
        Assert.True(listed is not null, $"fl task list did not show task {taskId}:\n{run.Output}");
        Assert.Contains("Completed", listed);
    }

    private static bool InUse(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return false;
        }
        catch (SocketException) { return true; }
    }
}
