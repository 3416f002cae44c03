namespace FlMicroservices.Aggregation;

/// <summary>A round this instance has closed (its result published).</summary>
public sealed record ClosedRound(string TaskId, int Round);
