namespace FlMicroservices.Core.Privacy;

/// <summary>Finds the noise multiplier σ that a privacy budget allows for a given sampling rate and number of steps.</summary>
public static class NoiseCalibrator
{
    /// <summary>Above this σ the search gives up (ε decreases ever more slowly towards its floor).</summary>
    public const double MaxNoiseMultiplier = 1e6;

    /// <summary>
    /// The smallest σ (up to a relative <paramref name="tolerance"/>) for which <paramref name="steps"/> steps of the
    /// sampled Gaussian mechanism at rate <paramref name="sampleRate"/> are (<paramref name="targetEpsilon"/>,
    /// <paramref name="delta"/>)-DP by the RDP accountant: ε(σ) ≤ target, and ε(σ·(1 − tolerance)) &gt; target.
    /// </summary>
    /// <remarks>
    /// Bisection on σ: ε is non-increasing in σ because the RDP of the sampled Gaussian mechanism decreases in σ at
    /// every order and the conversion is monotone in the RDP. Returns 0 when nothing is spent at all (q = 0 or no steps).
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">An input is out of range, or the target is below what any noise can reach.</exception>
    public static double FindNoiseMultiplier(
        double targetEpsilon, double sampleRate, int steps, double delta, double tolerance = 0.01,
        RdpConversionMethod conversion = RdpConversionMethod.Balle2020, IReadOnlyList<double>? orders = null)
    {
        if (!(targetEpsilon > 0) || double.IsPositiveInfinity(targetEpsilon))
            throw new ArgumentOutOfRangeException(nameof(targetEpsilon), targetEpsilon, "The target ε must be finite and greater than 0.");
        RdpMath.ValidateMechanism(sampleRate, noiseMultiplier: 1);
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The number of steps must be at least 0.");
        RdpConversion.ValidateDelta(delta);
        if (!(tolerance > 0 && tolerance < 1))
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The relative tolerance on σ must be strictly between 0 and 1.");
        var orderList = orders ?? RdpAccountant.DefaultOrders;
        _ = new RdpAccountant(orderList, conversion); // validates the orders and the conversion up front

        if (sampleRate == 0 || steps == 0) return 0;

        // As σ → ∞ the RDP tends to 0 at every order but stays positive, so ε tends to the conversion's floor at RDP 0⁺.
        var floor = double.PositiveInfinity;
        foreach (var order in orderList)
            floor = Math.Min(floor, RdpConversion.EpsilonAtOrder(order, double.Epsilon, delta, conversion));
        if (targetEpsilon <= floor)
        {
            throw new ArgumentOutOfRangeException(nameof(targetEpsilon), targetEpsilon,
                $"No noise multiplier reaches ε = {targetEpsilon} at δ = {delta}: with these RDP orders ε stays above {floor:G4} " +
                "however much noise is added. Raise the target ε or δ, or add larger orders.");
        }

        double Epsilon(double sigma)
        {
            var accountant = new RdpAccountant(orderList, conversion);
            accountant.Step(sigma, sampleRate, steps);
            return accountant.GetEpsilon(delta).Epsilon;
        }

        // ε(0) = ∞ > target. Grow the upper end until it meets the target.
        double low = 0, high = 1;
        while (Epsilon(high) > targetEpsilon)
        {
            low = high;
            high *= 2;
            if (high > MaxNoiseMultiplier)
            {
                throw new ArgumentOutOfRangeException(nameof(targetEpsilon), targetEpsilon,
                    $"No noise multiplier up to {MaxNoiseMultiplier:G} reaches ε = {targetEpsilon} at δ = {delta} " +
                    $"for q = {sampleRate} and {steps} steps.");
            }
        }

        // Invariant: ε(low) > target ≥ ε(high). Stop once high ≤ low·(1 + tolerance), so high·(1 − tolerance) < low.
        while (high - low > tolerance * low)
        {
            var middle = 0.5 * (low + high);
            if (middle <= low || middle >= high) break; // adjacent doubles: a tolerance below double precision ends here
            if (Epsilon(middle) <= targetEpsilon) high = middle;
            else low = middle;
        }
        return high;
    }
}
