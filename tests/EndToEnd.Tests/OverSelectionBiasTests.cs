using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;
using FlMicroservices.Simulation;
using Xunit.Abstractions;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>Which clients over-selection cuts on the README's task under heavy-tail devices, measured per client (docs/selection.md).</summary>
public sealed class OverSelectionBiasTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-bias-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task Over_selection_cuts_the_clients_with_the_most_data()
    {
        // The README's task (Synthetic(1,1), power-law client sizes) on heavy-tail devices, 13 picked for 10 updates a round. With
        // fold, a cut client still sends its round's manifest after the close, so its example count is known.
        var options = new SimulationOptions
        {
            Rounds = 10, Seed = 42, OutDir = _out, Profiles = "heavy-tail", OverSelection = 0.3, LateUpdates = LateUpdatePolicy.Fold,
            RoundTimeout = SimulationOptions.RoundTimeoutFor(null, 0, SimulationOptions.DefaultRoundDeadline),
        };
        var events = new EventLog();

        var result = await SimulationRunner.RunAsync(options, events: events);

        Assert.Equal(10, result.Rounds);
        var messages = events.All.Select(e => e.Message).ToArray();
        var cut = messages.OfType<UpdateDeclined>().Where(d => d.Reason.StartsWith("late: the round closed", StringComparison.Ordinal))
            .Select(d => (d.Round, d.ClientId)).ToHashSet();
        var manifests = messages.OfType<UpdateSubmitted>().ToArray();
        var cutExamples = manifests.Where(m => cut.Contains((m.Round, m.ClientId))).Select(m => m.ExampleCount).ToArray();
        var keptExamples = manifests.Where(m => !cut.Contains((m.Round, m.ClientId))).Select(m => m.ExampleCount).ToArray();
        output.WriteLine($"cut: {cut.Count} client-rounds, {cutExamples.Length} with a late manifest, mean {cutExamples.Average():F0} examples " +
            $"(median {Median(cutExamples)}); kept: {keptExamples.Length}, mean {keptExamples.Average():F0} (median {Median(keptExamples)})");

        // Up to 3 of 13 cut a round (fewer when a picked client failed, or was still busy with its late update and declined at once).
        Assert.InRange(cut.Count, 10, 30);
        Assert.True(cutExamples.Length >= 5, $"only {cutExamples.Length} cut clients sent their update late");
        // The cut hold several times the examples of the kept: a client's time here is mostly its training, in proportion to its data.
        Assert.True(cutExamples.Average() > 2 * keptExamples.Average(),
            $"cut clients' mean {cutExamples.Average():F0} examples is not above twice the kept clients' {keptExamples.Average():F0}");
    }

    private static double Median(int[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2.0;
    }
}
