namespace FlMicroservices.Core.Privacy.Audit;

/// <summary>An empirical lower bound on epsilon from an audit, with what it rests on.</summary>
/// <param name="Epsilon">The lower bound (0 when the audit shows nothing beyond chance).</param>
/// <param name="Guesses">Canaries the auditor guessed about (the rest abstained).</param>
/// <param name="Correct">Correct guesses.</param>
/// <param name="Confidence">The bound holds with this probability (e.g. 0.95).</param>
public sealed record EpsilonLowerBound(double Epsilon, int Guesses, int Correct, double Confidence);

/// <summary>
/// Empirical privacy auditing with one training run (Steinke, Nasr and Jagielski 2023, "Privacy Auditing with One (1)
/// Training Run", Theorem 3.1 with delta = 0): m canaries are each included in training independently with probability
/// 1/2; after training the auditor scores each canary, guesses "included" for the k+ highest scores and "excluded" for
/// the k- lowest, and abstains on the rest. Under epsilon-DP the number of correct guesses among the r = k+ + k- made is
/// stochastically dominated by Binomial(r, e^eps / (1 + e^eps)); so every epsilon under which observing at least that many
/// correct guesses has probability below 1 - confidence is ruled out, and the largest such epsilon is the lower bound.
/// </summary>
/// <remarks>
/// The bound is for pure epsilon-DP; an (epsilon, delta) mechanism with small delta (the accountant's) only loosens the
/// domination by terms of order r * delta, negligible for delta well below 1/r. A sound mechanism therefore gives a lower
/// bound at or below the accountant's epsilon with probability at least the confidence; a bound above it signals a bug
/// in the mechanism or its accounting.
/// </remarks>
public static class EmpiricalEpsilon
{
    /// <summary>The one-run bound from canary scores (higher = "more likely included") and which canaries were included.</summary>
    /// <param name="scores">One score per canary.</param>
    /// <param name="included">Whether each canary was really in the training run.</param>
    /// <param name="guessIncluded">k+: how many top-scored canaries are guessed "included".</param>
    /// <param name="guessExcluded">k-: how many bottom-scored canaries are guessed "excluded".</param>
    /// <param name="confidence">Probability with which the bound holds, in (0, 1).</param>
    public static EpsilonLowerBound OneRun(IReadOnlyList<double> scores, IReadOnlyList<bool> included, int guessIncluded, int guessExcluded, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(included);
        if (scores.Count != included.Count) throw new ArgumentException($"{scores.Count} scores but {included.Count} inclusion flags.");
        if (guessIncluded < 0 || guessExcluded < 0 || guessIncluded + guessExcluded > scores.Count)
            throw new ArgumentOutOfRangeException(nameof(guessIncluded), $"k+ = {guessIncluded} and k- = {guessExcluded} must be non-negative and together at most {scores.Count}.");
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence must be in (0, 1).");
        if (scores.Any(double.IsNaN)) throw new ArgumentException("Scores must not be NaN.");

        var order = Enumerable.Range(0, scores.Count).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        var correct = 0;
        for (var i = 0; i < guessIncluded; i++) if (included[order[i]]) correct++;
        for (var i = 0; i < guessExcluded; i++) if (!included[order[order.Length - 1 - i]]) correct++;
        var guesses = guessIncluded + guessExcluded;
        return new EpsilonLowerBound(FromGuesses(guesses, correct, confidence), guesses, correct, confidence);
    }

    /// <summary>The largest epsilon ruled out by <paramref name="correct"/> of <paramref name="guesses"/> correct guesses.</summary>
    public static double FromGuesses(int guesses, int correct, double confidence = 0.95)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(guesses);
        if (correct < 0 || correct > guesses) throw new ArgumentOutOfRangeException(nameof(correct), correct, $"Correct guesses must be in [0, {guesses}].");
        var alpha = 1 - confidence;
        // At epsilon = 0 (p = 1/2) nothing is ruled out unless the result is already unlikely under guessing.
        if (guesses == 0 || UpperTail(guesses, correct, 0.5) > alpha) return 0;
        // The tail probability grows with epsilon: bisect for where it crosses alpha.
        double low = 0, high = 1;
        while (UpperTail(guesses, correct, SuccessProbability(high)) <= alpha && high < 100) high *= 2;
        for (var step = 0; step < 100; step++)
        {
            var mid = (low + high) / 2;
            if (UpperTail(guesses, correct, SuccessProbability(mid)) <= alpha) low = mid; else high = mid;
        }
        return low;
    }

    private static double SuccessProbability(double epsilon) => 1 / (1 + Math.Exp(-epsilon));

    /// <summary>P[X &gt;= k] for X ~ Binomial(n, p), summed in log space.</summary>
    public static double UpperTail(int n, int k, double p)
    {
        if (k <= 0) return 1;
        if (k > n) return 0;
        double logP = Math.Log(p), logQ = Math.Log(1 - p);
        var logFactorial = new double[n + 1];
        for (var i = 2; i <= n; i++) logFactorial[i] = logFactorial[i - 1] + Math.Log(i);
        var terms = new double[n - k + 1];
        var max = double.NegativeInfinity;
        for (var i = k; i <= n; i++)
        {
            var term = logFactorial[n] - logFactorial[i] - logFactorial[n - i] + i * logP + (n - i) * logQ;
            terms[i - k] = term;
            max = Math.Max(max, term);
        }
        var sum = 0.0;
        foreach (var term in terms) sum += Math.Exp(term - max);
        return Math.Min(1, Math.Exp(max) * sum);
    }
}
