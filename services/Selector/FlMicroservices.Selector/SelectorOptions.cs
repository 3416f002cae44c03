using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Selector;

/// <summary>Selector settings; bound from the "Selector" configuration section.</summary>
public sealed class SelectorOptions
{
    public const string Section = "Selector";

    /// <summary>A client whose last heartbeat is older than this is not selected.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan HealthyWithin { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long after TaskCreated the first round must have started (its initial model published) before the task ends as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StartWait { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a round waits for the task's minimum number of healthy clients before it cannot start.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ClientWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long after a round's deadline the selector waits for its RoundCompleted before it fails the round and ends the task.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan RoundGrace { get; set; } = TimeSpan.FromMinutes(2);
}
