using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Registry;

/// <summary>When a client that is selected but never uploads stops being selected; bound from "Registry:Demotion".</summary>
public sealed class DemotionOptions
{
    public const string Section = "Registry:Demotion";

    /// <summary>Rounds in a row a client may be selected for without uploading before it is demoted; 0 never demotes.</summary>
    [Range(0, 1_000)]
    public int AfterMissedRounds { get; set; } = 3;

    /// <summary>How long a demoted client stays unhealthy; after it, one more missed round demotes it again until it uploads.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan Period { get; set; } = TimeSpan.FromMinutes(10);
}
