using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Privacy.Dp;

/// <summary>
/// Central, client-level differential privacy around any linear or server-optimizer strategy: DP-FedAvg of H. B. McMahan,
/// D. Ramage, K. Talwar, L. Zhang, "Learning Differentially Private Recurrent Language Models" (ICLR 2018), with the
/// optional adaptive clip norm of Andrew et al. 2021 (<see cref="AdaptiveClipping"/>).
/// </summary>
/// <remarks>
/// <para>
/// <b>One round.</b> Every client's whole update Δᵢ is clipped to L2 norm C: Δᵢ·min(1, C/‖Δᵢ‖). The clipped updates are
/// summed with <b>uniform weights</b> (each client counts once; the example count carried by its slices is ignored), one
/// Gaussian draw N(0, (z·C)²) is added to every coordinate of the sum, and the result is divided by the <b>fixed</b>
/// denominator m, the expected number of clients per round (<see cref="DpFedAvgOptions.ExpectedClients"/>):
/// Δ̃ = (Σᵢ clip(Δᵢ) + N(0, z²C²·I))/m. This is McMahan et al.'s estimator f̃_f with wᵢ = 1 (they allow weights capped at
/// 1; uniform ones are the simplest choice with the same bound). The inner strategy then receives Δ̃ as the round's only
/// update and turns it into the next model exactly as it would turn a mean delta (FedAvg: x + Δ̃; FedAdam: an Adam step on
/// Δ̃), which is post-processing and costs no privacy.
/// </para>
/// <para>
/// <b>Why the sensitivity holds.</b> Adding or removing one client changes Σᵢ clip(Δᵢ) by one clipped update, of norm at
/// most C, and changes nothing else: the denominator m does not depend on who took part. So each round is the Gaussian
/// mechanism with noise multiplier z on the sampled clients, and with client sampling (Poisson at rate q, see the
/// selector) the accountant composes the sampled Gaussian mechanism (<see cref="RdpAccountant"/>). Dividing by the number
/// of clients that actually delivered would make the denominator data-dependent; without m this class does exactly that,
/// which is private only where that number is public (fixed-size sampling without dropouts).
/// </para>
/// <para>
/// <b>Streaming.</b> Clipping needs each client's whole-update norm while its slices arrive one at a time, so a round has
/// the two paths of <see cref="NormBounding"/>: with the norm supplied (<see cref="IClientNormAware"/>) each slice is
/// scaled and summed as it arrives; otherwise the client's slices are buffered (one model copy per such client) until
/// its last slice, then measured with <see cref="NormBounding.L2Norm"/> and summed. The sums are
/// <see cref="WeightedSliceSums"/> (weight 1 per client), exact and order-invariant, so the result does not depend on the
/// order in which slices arrive. A slice some client never delivered counts as zero for that client (the numerator keeps
/// only what arrived; the denominator stays m); a client still incomplete at <c>Finish</c> is clipped by the norm of what
/// it delivered.
/// </para>
/// <para>
/// <b>Noise.</b> Drawn at <c>Finish</c> from <see cref="GaussianNoise"/>: the operating system's CSPRNG, or with
/// <see cref="DpFedAvgOptions.Seed"/> an AES-CTR stream per round derived from (seed, round index), so a seeded run is
/// reproducible and restarts do not replay earlier rounds' noise.
/// </para>
/// <para>
/// <b>State across rounds</b>: the clip norm (adaptive) and the number of rounds begun; both are checkpointed together with
/// the inner strategy's state. <see cref="IAggregationStrategy.Name"/> is the inner strategy's: DP is switched on by the
/// round plan's central-DP block (<see cref="Contracts.V1.RoundSettings.CentralDp"/>), not by a strategy name.
/// </para>
/// </remarks>
public sealed class DpFedAvg : IAggregationStrategy, ICheckpointable
{
    /// <summary>The client id under which the privatized mean is handed to the inner strategy.</summary>
    public const string AggregateClientId = "dp-fedavg-aggregate";

    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="options"/> is out of range.</exception>
    public DpFedAvg(IAggregationStrategy inner, DpFedAvgOptions options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Inner = inner;
        Options = options;
        ClipNorm = options.ClipNorm;
        UpdateNoiseMultiplier = options.UpdateNoiseMultiplier;
    }

    public IAggregationStrategy Inner { get; }
    public DpFedAvgOptions Options { get; }
    public string Name => Inner.Name;

    /// <summary>The clip norm C the next round uses (with adaptive clipping it changes after every finished round).</summary>
    public double ClipNorm { get; private set; }

    /// <summary>The noise multiplier of the update sum: z, or z_Δ with adaptive clipping.</summary>
    public double UpdateNoiseMultiplier { get; }

    /// <summary>Rounds begun so far; the index of a round's seeded noise stream.</summary>
    public int RoundsBegun { get; private set; }

    /// <summary>What the last finished round did (null before the first).</summary>
    public DpRoundReport? LastRound { get; private set; }

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceElements);
        var round = new DpFedAvgRound(this, RoundsBegun, ClipNorm, parameterCount, sliceElements);
        RoundsBegun++;
        return round;
    }

    public void WriteCheckpoint(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("DpFedAvg");
        writer.Write(ClipNorm);
        writer.Write(RoundsBegun);
        writer.Write(Inner is ICheckpointable);
        if (Inner is ICheckpointable inner) inner.WriteCheckpoint(writer);
    }

    public void ReadCheckpoint(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        CheckpointFormat.ExpectTag(reader, "DpFedAvg");
        var clipNorm = reader.ReadDouble();
        var rounds = reader.ReadInt32();
        if (!(clipNorm > 0) || !double.IsFinite(clipNorm) || rounds < 0)
            throw new InvalidDataException($"Checkpoint of DP-FedAvg holds clip norm {clipNorm} after {rounds} rounds.");
        var hasInner = reader.ReadBoolean();
        if (hasInner != Inner is ICheckpointable)
            throw new InvalidDataException($"Checkpoint of DP-FedAvg {(hasInner ? "holds" : "lacks")} state of its inner strategy {Inner.Name}.");
        if (Inner is ICheckpointable inner) inner.ReadCheckpoint(reader);
        ClipNorm = clipNorm;
        RoundsBegun = rounds;
    }

    internal GaussianNoise NoiseFor(int roundIndex) =>
        Options.Seed is { } seed ? GaussianNoise.FromSeed(seed, $"dp-fedavg/round-{roundIndex}") : GaussianNoise.CreateSecure();

    internal void Complete(DpRoundReport report)
    {
        LastRound = report;
        if (Options.Adaptive) ClipNorm = report.NextClipNorm;
    }
}

/// <summary>What one DP-FedAvg round did.</summary>
/// <param name="RoundIndex">The round's index among the rounds this strategy has begun (0 first).</param>
/// <param name="Clients">Clients that delivered at least one slice.</param>
/// <param name="ClippedClients">Of those, the clients whose update norm exceeded <paramref name="ClipNorm"/> and was scaled down.</param>
/// <param name="ClipNorm">C used in this round.</param>
/// <param name="NoiseStd">Standard deviation of the noise added to each coordinate of the clipped sum (z·C, or z_Δ·C).</param>
/// <param name="Denominator">What the noisy sum was divided by: m, or the number of clients when m is not set.</param>
/// <param name="NoisyFraction">Adaptive clipping's b̃ (null without adaptive clipping).</param>
/// <param name="NextClipNorm">C for the next round (equal to <paramref name="ClipNorm"/> without adaptive clipping).</param>
public sealed record DpRoundReport(
    int RoundIndex,
    int Clients,
    int ClippedClients,
    double ClipNorm,
    double NoiseStd,
    double Denominator,
    double? NoisyFraction,
    double NextClipNorm);
