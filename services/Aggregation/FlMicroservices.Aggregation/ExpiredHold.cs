namespace FlMicroservices.Aggregation;

/// <summary>What was dropped from one round that never opened: its slices and manifests waited too long.</summary>
public sealed record ExpiredHold(string TaskId, int Round, int Slices, int Manifests);
