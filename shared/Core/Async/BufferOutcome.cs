namespace FlMicroservices.Core.Async;

/// <summary>What <see cref="FedBuffBuffer.Add"/> did with one update: buffered (and perhaps flushed into a new version) or dropped, with why.</summary>
/// <param name="Accepted">True when the update was buffered.</param>
/// <param name="Staleness">Current version minus the update's base version, at arrival.</param>
/// <param name="Weight">The staleness weight the update was folded with (as quantised); 0 when dropped.</param>
/// <param name="NewVersion">The version this update's arrival produced, when it filled the buffer; otherwise null.</param>
/// <param name="DropReason">Why the update was dropped; null when accepted.</param>
public sealed record BufferOutcome(bool Accepted, int Staleness, double Weight, int? NewVersion, string? DropReason)
{
    internal static BufferOutcome Dropped(int staleness, string reason) => new(false, staleness, 0, null, reason);
}
