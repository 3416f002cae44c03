namespace FlMicroservices.Core.Async;

/// <summary>What <see cref="FedBuffBuffer.Add"/> did with one update: buffered (and perhaps flushed into a new version) or dropped, with why.</summary>
/// <param name="Accepted">True when the update was buffered.</param>
/// <param name="Staleness">Current version minus the update's base version, at arrival.</param>
/// <param name="Weight">The staleness weight the update was folded with (as quantised); 0 when dropped.</param>
/// <param name="NewVersion">The version this update's arrival produced, when it filled the buffer; otherwise null.</param>
/// <param name="DropReason">Why the update was dropped; null when accepted.</param>
public sealed record BufferOutcome(bool Accepted, int Staleness, double Weight, int? NewVersion, string? DropReason)
{
    /// <summary>What was done to an accepted update's values, when not folded as sent (with privacy: "its values were not finite: folded as zero").</summary>
    public string? Note { get; init; }

    /// <summary>The clients whose updates made <see cref="NewVersion"/>, in arrival order; null when no version was made.</summary>
    public IReadOnlyList<string>? Contributors { get; init; }

    /// <summary>With privacy, the standard deviation of the noise added to each coordinate of the new version's mean; otherwise 0.</summary>
    public double NoiseStd { get; init; }

    internal static BufferOutcome Dropped(int staleness, string reason) => new(false, staleness, 0, null, reason);
}
