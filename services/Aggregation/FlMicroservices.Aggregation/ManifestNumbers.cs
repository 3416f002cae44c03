using System.Globalization;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Aggregation;

/// <summary>Refuses a manifest whose numbers are not finite: they could not be checkpointed nor published in RoundAggregated.</summary>
public static class ManifestNumbers
{
    /// <summary>Why the metrics a client reports cannot be taken (naming the field and value), or null when they are finite.</summary>
    public static string? Problem(LocalMetrics? metrics)
    {
        if (metrics is null) return "the manifest carries no metrics";
        if (!double.IsFinite(metrics.TrainLoss)) return NotFinite("trainLoss", metrics.TrainLoss);
        if (!double.IsFinite(metrics.TrainSeconds)) return NotFinite("trainSeconds", metrics.TrainSeconds);
        if (metrics.RoundSeconds is { } seconds && !(double.IsFinite(seconds) && seconds >= 0))
            return string.Create(CultureInfo.InvariantCulture, $"metrics.roundSeconds is {seconds}: it must be a finite number of seconds, 0 or more");
        return null;
    }

    private static string NotFinite(string field, double value) =>
        string.Create(CultureInfo.InvariantCulture, $"metrics.{field} is {value}: the numbers of a manifest must be finite");
}
