using System.Globalization;

namespace FlMicroservices.Core.Data;

/// <summary>Turns a partition spec such as "iid", "shards:2" or "dirichlet:0.5" into an <see cref="IPartitioner"/>.</summary>
public static class PartitionerFactory
{
    public const string ValidForms =
        "'iid', 'shards' (2 shards per client), 'shards:K' (K >= 1 shards per client), 'dirichlet:ALPHA' (ALPHA > 0, e.g. 'dirichlet:0.5')";

    /// <summary>Parses <paramref name="spec"/>; the kind is case-insensitive, surrounding spaces are ignored, numbers use the invariant culture.</summary>
    /// <exception cref="ArgumentException">The spec is none of the <see cref="ValidForms"/>; the message names it.</exception>
    public static IPartitioner Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = spec.Trim();
        var colon = text.IndexOf(':');
        var kind = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        var argument = colon < 0 ? null : text[(colon + 1)..].Trim();

        switch (kind)
        {
            case "iid" when argument is null:
                return new IidPartitioner();
            case "iid":
                throw Invalid(spec, "'iid' takes no parameter");
            case "shards" when argument is null:
                return new ShardPartitioner();
            case "shards":
                if (int.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out var shards) && shards >= 1)
                    return new ShardPartitioner(shards);
                throw Invalid(spec, "the number of shards per client must be an integer >= 1");
            case "dirichlet":
                if (double.TryParse(argument, NumberStyles.Float, CultureInfo.InvariantCulture, out var alpha) && double.IsFinite(alpha) && alpha > 0)
                    return new DirichletPartitioner(alpha);
                throw Invalid(spec, "alpha must be a finite number > 0");
            default:
                throw Invalid(spec, "unknown partitioner");
        }
    }

    private static ArgumentException Invalid(string spec, string reason) =>
        new($"Invalid partition spec '{spec}': {reason}. Valid forms: {ValidForms}.", nameof(spec));
}
