using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Aggregation.SecAgg;

/// <summary>
/// Timing of secure-aggregation rounds; bound from "Aggregation:SecureAggregation". Each protocol phase ends as soon as every
/// message it expects is in, and at the latest at its deadline: the given share of the round's time (from the moment the
/// aggregation service opens the round to <c>RoundStarted.Deadline</c>). The unmasking phase ends at the round's deadline.
/// </summary>
public sealed class SecureAggregationOptions : IValidatableObject
{
    public const string Section = "Aggregation:SecureAggregation";

    /// <summary>End of protocol round 0 (advertise keys), as a share of the round's time.</summary>
    [Range(0.001, 0.997)]
    public double AdvertiseKeysShare { get; set; } = 0.10;

    /// <summary>End of protocol round 1 (share keys).</summary>
    [Range(0.002, 0.998)]
    public double ShareKeysShare { get; set; } = 0.20;

    /// <summary>End of protocol round 2 (masked input): local training happens in this phase, so it gets most of the time.</summary>
    [Range(0.003, 0.999)]
    public double MaskedInputShare { get; set; } = 0.85;

    /// <summary>Protocol messages and masked slices kept for rounds this instance has not opened yet (they overtook RoundStarted).</summary>
    [Range(1, 10_000_000)]
    public int MaxPendingMessages { get; set; } = 100_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!(AdvertiseKeysShare < ShareKeysShare && ShareKeysShare < MaskedInputShare))
        {
            yield return new ValidationResult(
                $"The phase shares must increase: AdvertiseKeysShare {AdvertiseKeysShare} < ShareKeysShare {ShareKeysShare} < MaskedInputShare {MaskedInputShare}",
                [nameof(AdvertiseKeysShare), nameof(ShareKeysShare), nameof(MaskedInputShare)]);
        }
    }
}
