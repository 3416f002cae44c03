namespace FlMicroservices.Core.Privacy;

/// <summary>
/// Converts an RDP curve (ε(α) at a list of orders α) into the tightest (ε, δ)-DP guarantee available at those orders:
/// every order gives a valid ε, the smallest one is reported together with its order.
/// </summary>
public static class RdpConversion
{
    /// <summary>
    /// ε at <paramref name="delta"/> for the RDP values <paramref name="rdp"/> at <paramref name="orders"/>, minimized
    /// over the orders. An order whose RDP is exactly 0 means the two output distributions coincide, which gives ε = 0.
    /// A negative conversion result is reported as 0 ((ε, δ)-DP for ε ≤ 0 implies (0, δ)-DP).
    /// </summary>
    public static PrivacySpent ToEpsilon(
        IReadOnlyList<double> orders, IReadOnlyList<double> rdp, double delta,
        RdpConversionMethod method = RdpConversionMethod.Balle2020)
    {
        ArgumentNullException.ThrowIfNull(orders);
        ArgumentNullException.ThrowIfNull(rdp);
        if (orders.Count == 0) throw new ArgumentException("At least one RDP order is needed.", nameof(orders));
        if (rdp.Count != orders.Count)
            throw new ArgumentException($"There are {rdp.Count} RDP values for {orders.Count} orders.", nameof(rdp));
        ValidateDelta(delta);

        var best = new PrivacySpent(double.PositiveInfinity, double.NaN);
        for (var i = 0; i < orders.Count; i++)
        {
            if (!(orders[i] > 1) || double.IsPositiveInfinity(orders[i]))
                throw new ArgumentOutOfRangeException(nameof(orders), orders[i], "Every RDP order α must be finite and greater than 1.");
            if (!(rdp[i] >= 0))
                throw new ArgumentOutOfRangeException(nameof(rdp), rdp[i], $"The RDP at order {orders[i]} must be at least 0.");
            var epsilon = EpsilonAtOrder(orders[i], rdp[i], delta, method);
            if (epsilon < best.Epsilon) best = new PrivacySpent(epsilon, orders[i]);
        }
        return best;
    }

    /// <summary>The ε that one order α with RDP <paramref name="rdp"/> gives at δ (not minimized).</summary>
    public static double EpsilonAtOrder(double order, double rdp, double delta, RdpConversionMethod method = RdpConversionMethod.Balle2020)
    {
        RdpMath.ValidateOrder(order);
        ValidateDelta(delta);
        if (rdp == 0) return 0;
        if (double.IsPositiveInfinity(rdp)) return double.PositiveInfinity;
        var logDelta = Math.Log(delta);
        var epsilon = method switch
        {
            RdpConversionMethod.Balle2020 => rdp + LogMath.Log1P(-1 / order) - (logDelta + Math.Log(order)) / (order - 1),
            RdpConversionMethod.Mironov2017 => rdp - logDelta / (order - 1),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown RDP conversion."),
        };
        return Math.Max(0, epsilon);
    }

    internal static void ValidateDelta(double delta)
    {
        if (!(delta > 0 && delta < 1))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must be strictly between 0 and 1.");
    }
}
