using FlMicroservices.Contracts.V1;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Node;

/// <summary>Which of a node's selected clients start a round, and which of those that trained send their update (docs/simulated-clock.md).</summary>
public interface IParticipationGate
{
    /// <summary>The clients of <paramref name="selected"/> that start the round (the others drop out before they download the model).</summary>
    IReadOnlyList<HostedClient> Admit(RoundStarted round, IReadOnlyList<HostedClient> selected);

    /// <summary>For each client of <paramref name="admitted"/>, in order, whether it sends its update.</summary>
    /// <param name="round">The round.</param>
    /// <param name="selected">Every client of this node the round selected.</param>
    /// <param name="admitted">The clients that trained (<see cref="Admit"/>'s answer).</param>
    /// <param name="samplesProcessed">Examples each admitted client trained on, counted once per local epoch.</param>
    /// <param name="modelValues">Values in the model a client downloads and in the update it sends.</param>
    IReadOnlyList<bool> Submit(RoundStarted round, IReadOnlyList<HostedClient> selected, IReadOnlyList<HostedClient> admitted,
        IReadOnlyList<long> samplesProcessed, int modelValues);
}

/// <summary>The node's own gate: <see cref="NodeOptions.DropoutRate"/> of the selected clients drop out (seeded by the round), the rest send.</summary>
public sealed class DropoutGate(IOptions<NodeOptions> options) : IParticipationGate
{
    public IReadOnlyList<HostedClient> Admit(RoundStarted round, IReadOnlyList<HostedClient> selected)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(selected);
        var dropoutRng = new Random(ClientSeeds.For(round.Seed, round.Round, "dropout"));
        return selected.Where(_ => dropoutRng.NextDouble() >= options.Value.DropoutRate).ToArray();
    }

    public IReadOnlyList<bool> Submit(RoundStarted round, IReadOnlyList<HostedClient> selected, IReadOnlyList<HostedClient> admitted,
        IReadOnlyList<long> samplesProcessed, int modelValues) =>
        Enumerable.Repeat(true, admitted?.Count ?? 0).ToArray();
}
