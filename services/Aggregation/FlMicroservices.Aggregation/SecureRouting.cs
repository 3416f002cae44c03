namespace FlMicroservices.Aggregation;

/// <summary>Where a secure-aggregation message went.</summary>
internal enum SecureRouting
{
    Open,
    Late,
    Held,
    Dropped,
}
