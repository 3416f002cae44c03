using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Privacy.Dp;

/// <summary>
/// Central, client-level differential privacy around any linear or server-optimizer strategy: DP-FedAvg of H. B. McMahan,
/// D. Ramage, K. Talwar, L. Zhang, "Learning Differentially Private Recurrent Language Models" (ICLR 2018), with the
/// optional adaptive clip norm of Andrew et al. 2021 (<see cref="AdaptiveClipping"/>).
/// </summary>
/// <remarks>Design notes: docs/privacy.md, "Notes: DpFedAvg".</remarks>
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
