namespace FlMicroservices.ServiceDefaults.Api;

/// <summary>One page of a list: <see cref="Total"/> items match, <see cref="Items"/> are those from <see cref="Offset"/> on.</summary>
public sealed record Page<T>(int Total, int Offset, int Limit, IReadOnlyList<T> Items)
{
    public static Page<T> Of(IReadOnlyCollection<T> matching, int offset, int limit)
    {
        ArgumentNullException.ThrowIfNull(matching);
        return new(matching.Count, offset, limit, [.. matching.Skip(offset).Take(limit)]);
    }
}
