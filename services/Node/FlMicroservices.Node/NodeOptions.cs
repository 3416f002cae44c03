using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Node;

/// <summary>Node settings; bound from the "Node" configuration section.</summary>
public sealed class NodeOptions
{
    public const string Section = "Node";

    /// <summary>How many hosted clients train at once (each with one torch thread).</summary>
    [Range(1, 256)]
    public int Parallelism { get; set; } = Math.Max(1, Environment.ProcessorCount);

    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Share of selected clients that silently drop out of a round (simulation of unreliable devices).</summary>
    [Range(0.0, 1.0)]
    public double DropoutRate { get; set; }

    /// <summary>Wait between training and streaming the update (simulates a slow uplink, i.e. a straggler).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SubmitDelay { get; set; }
}
