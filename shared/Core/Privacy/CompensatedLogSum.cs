namespace FlMicroservices.Core.Privacy;

/// <summary>
/// A signed sum Σ ±exp(xᵢ) of terms given by their logarithms, kept as exp(scale)·(sum + carry): the scale follows
/// the largest term so nothing overflows, and the carry is Neumaier's compensation (A. Neumaier, "Rundungsfehleranalyse
/// einiger Verfahren zur Summation endlicher Summen", ZAMM 54, 1974), so that the many tiny terms of a slowly
/// converging series are neither lost nor systematically rounded up.
/// </summary>
internal struct CompensatedLogSum()
{
    private double _logScale = double.NegativeInfinity;
    private double _sum;
    private double _carry;

    /// <summary>log of the sum; NaN while the sum is negative, −∞ while it is zero.</summary>
    public readonly double LogValue => _logScale + Math.Log(_sum + _carry);

    /// <summary>Adds exp(logMagnitude), or subtracts it when <paramref name="negative"/>.</summary>
    public void Add(double logMagnitude, bool negative = false)
    {
        if (double.IsNegativeInfinity(logMagnitude)) return;
        if (logMagnitude > _logScale)
        {
            var rescale = Math.Exp(_logScale - logMagnitude);
            _sum *= rescale;
            _carry *= rescale;
            _logScale = logMagnitude;
        }
        var term = Math.Exp(logMagnitude - _logScale);
        if (negative) term = -term;
        var total = _sum + term;
        _carry += Math.Abs(_sum) >= Math.Abs(term) ? (_sum - total) + term : (term - total) + _sum;
        _sum = total;
    }
}
