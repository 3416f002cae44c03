namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>How many Byzantine updates a robust round tolerates: an explicit f, or a share of the n updates it aggregates.</summary>
public sealed record ByzantineTolerance
{
    /// <summary>The share a task tolerates unless it says otherwise.</summary>
    public const double DefaultShare = 0.2;

    /// <param name="share">Share of a round's updates that may be Byzantine, in [0, 0.5); used when <paramref name="f"/> is null.</param>
    /// <param name="f">An explicit number of Byzantine updates (at least 0), whatever the round's size.</param>
    public ByzantineTolerance(double share = DefaultShare, int? f = null)
    {
        if (!IsValidShare(share))
            throw new ArgumentOutOfRangeException(nameof(share), share, "The Byzantine share must be a number in [0, 0.5).");
        if (f is { } attackers) ArgumentOutOfRangeException.ThrowIfNegative(attackers, nameof(f));
        Share = share;
        F = f;
    }

    /// <summary>A tolerance of exactly <paramref name="f"/> Byzantine updates.</summary>
    public static ByzantineTolerance Exactly(int f) => new(DefaultShare, f);

    public double Share { get; }

    /// <summary>The explicit f, or null when f follows from <see cref="Share"/>.</summary>
    public int? F { get; }

    /// <summary>True for a share in [0, 0.5): a majority of every round must be honest.</summary>
    public static bool IsValidShare(double share) => share >= 0 && share < 0.5;

    /// <summary>f for a round of <paramref name="n"/> updates: the explicit f, or floor(share n).</summary>
    /// <remarks>The 1e-9 keeps products such as 0.3 x 10 = 2.9999999999999996 from flooring one too low.</remarks>
    public int AttackersAmong(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return F ?? (int)Math.Floor(Share * n + 1e-9);
    }

    /// <summary>
    /// The smallest n0 such that every round of n &gt;= n0 updates satisfies n &gt;= <paramref name="perAttacker"/> f(n) + 3
    /// (Krum: 2, Bulyan: 4); null when no n0 exists (the share is at least 1 / <paramref name="perAttacker"/>).
    /// </summary>
    public int? MinimumUpdates(int perAttacker)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perAttacker);
        if (F is { } f) return checked(perAttacker * f + 3);
        var slack = 1 - perAttacker * Share;
        if (slack <= 1e-9) return null;
        // n - k floor(s n) >= n (1 - k s) >= 3 once n >= 3 / (1 - k s); below that bound, the largest failing n decides.
        var bound = (int)Math.Ceiling(3 / slack) + 1;
        for (var n = bound; n >= 1; n--)
            if (n < perAttacker * AttackersAmong(n) + 3) return n + 1;
        return 1;
    }

    /// <summary>"f = 2 (20% of 10 updates)" or "f = 2": how f came about, for error messages.</summary>
    public string Describe(int n) => F is { } f
        ? $"f = {f}"
        : FormattableString.Invariant($"f = {AttackersAmong(n)} ({Share * 100:0.##}% of {n} updates)");
}
