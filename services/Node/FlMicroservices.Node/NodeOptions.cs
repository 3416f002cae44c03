using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Node;

/// <summary>Node settings; bound from the "Node" configuration section.</summary>
public sealed class NodeOptions : IValidatableObject
{
    public const string Section = "Node";

    /// <summary>How many hosted clients train at once (each with one torch thread).</summary>
    [Range(1, 256)]
    public int Parallelism { get; set; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// The most memory the node's process may hold while its clients train, in MiB (0: no budget). Fewer clients train at once
    /// when their estimated memory would not fit; when not even one fits, the selected clients decline the round with the reason.
    /// </summary>
    [Range(0, 16 * 1024 * 1024)]
    public int MemoryBudgetMb { get; set; }

    /// <summary>How often each hosted client beats; unset: <see cref="HeartbeatIntervalFor"/> the hosted clients.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>
    /// 15 s, or clients/2,000 seconds above 30,000 hosted clients (100,000: 50 s), so that one process's heartbeats stay near
    /// 2,000 messages a second; well inside the selector's Selector:HealthyWithin (2 minutes).
    /// </summary>
    public static TimeSpan HeartbeatIntervalFor(int clients) => TimeSpan.FromSeconds(Math.Max(15, Math.Ceiling(clients / 2_000.0)));

    /// <summary>
    /// A node hosting more clients than this sends their heartbeats as <see cref="Contracts.V1.ClientHeartbeats"/> of this many each,
    /// instead of one message per client (100,000 clients: 200 messages a beat instead of 100,000); 0: one message per client.
    /// Behind the edge a node always sends one per client.
    /// </summary>
    [Range(0, Contracts.V1.ClientHeartbeats.MaxBeats)]
    public int HeartbeatBatch { get; set; } = 500;

    /// <summary>The signing algorithms the hosted clients hold keys for and register (empty: every one, so tasks of either kind run here).</summary>
    public string[] SigningAlgorithms { get; set; } = [];

    /// <summary>Share of selected clients that silently drop out of a round (simulation of unreliable devices).</summary>
    [Range(0.0, 1.0)]
    public double DropoutRate { get; set; }

    /// <summary>Wait between training and streaming the update (simulates a slow uplink, i.e. a straggler).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SubmitDelay { get; set; }

    /// <summary>An idle-only schedule: the daily window of local time in which the hosted clients train, "HH:mm-HH:mm" (22:00-06:00
    /// runs past midnight); outside it they sit selected rounds out. Empty: any time.</summary>
    public string? TrainingWindow { get; set; }

    /// <summary>The parsed <see cref="TrainingWindow"/>; null when none is set (or it is invalid, which validation refuses).</summary>
    public DailyWindow? Window => string.IsNullOrWhiteSpace(TrainingWindow) ? null : DailyWindow.Parse(TrainingWindow, out _);

    /// <summary>The node's data folder default for <see cref="IdentityDirectory"/>.</summary>
    public const string DefaultIdentityDirectory = "identity";

    /// <summary>Where the hosted clients' private signing keys are kept (relative to the data root); a node process only.</summary>
    public string? IdentityDirectory { get; set; }

    /// <summary>http(s) base address of the model registry service to download model versions from; empty: the model store.</summary>
    public string? ModelRegistryUrl { get; set; }

    /// <summary>The parsed <see cref="ModelRegistryUrl"/>; null when none is set.</summary>
    public Uri? ModelRegistry => string.IsNullOrWhiteSpace(ModelRegistryUrl) ? null
        : new Uri(ModelRegistryUrl.EndsWith('/') ? ModelRegistryUrl : ModelRegistryUrl + "/", UriKind.Absolute);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(ModelRegistryUrl)
            && !(Uri.TryCreate(ModelRegistryUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
            yield return new ValidationResult($"'{ModelRegistryUrl}' must be an http:// or https:// URL of the model registry service.", [nameof(ModelRegistryUrl)]);
        if (!string.IsNullOrWhiteSpace(TrainingWindow) && DailyWindow.Parse(TrainingWindow, out var problem) is null)
            yield return new ValidationResult($"Node:TrainingWindow {problem}.", [nameof(TrainingWindow)]);
        foreach (var algorithm in SigningAlgorithms.Where(a => !Contracts.V1.SigningAlgorithms.Keyed.Contains(a)))
            yield return new ValidationResult(
                $"Node:SigningAlgorithms '{algorithm}' is not an algorithm clients hold keys for ({string.Join(", ", Contracts.V1.SigningAlgorithms.Keyed)}).",
                [nameof(SigningAlgorithms)]);
    }
}
