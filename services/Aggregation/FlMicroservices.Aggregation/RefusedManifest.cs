namespace FlMicroservices.Aggregation;

/// <summary>A manifest under a participant's id that failed verification: its digest and why (kept in the control checkpoint).</summary>
public sealed record RefusedManifest(string TaskId, int Round, string ClientId, string Digest, string Reason);
