namespace FlMicroservices.Core.Privacy.Audit;

/// <summary>One point of a ROC curve: the attack's false- and true-positive rates at one threshold.</summary>
public readonly record struct RocPoint(double FalsePositiveRate, double TruePositiveRate);

/// <summary>How well a membership-inference attack separates members from non-members.</summary>
/// <param name="Auc">Area under the ROC curve (0.5 = guessing, 1 = perfect), ties counted as half.</param>
/// <param name="TprAtLowFpr">The largest true-positive rate at a false-positive rate of at most <see cref="LowFpr"/>.</param>
/// <param name="LowFpr">The false-positive rate of <see cref="TprAtLowFpr"/> (1% by default).</param>
/// <param name="Curve">The ROC curve from (0,0) to (1,1), one point per distinct score.</param>
public sealed record AttackResult(double Auc, double TprAtLowFpr, double LowFpr, int Members, int NonMembers, IReadOnlyList<RocPoint> Curve);

/// <summary>
/// The loss-threshold membership-inference attack (Yeom et al. 2018, "Privacy Risk in Machine Learning: Analyzing the
/// Connection to Overfitting"): a sample is guessed to be a training member when the model's loss on it is below a
/// threshold. Sweeping the threshold gives the ROC curve; its area and the TPR at a low FPR (Carlini et al. 2022,
/// "Membership Inference Attacks From First Principles", argue for the latter) measure the leak.
/// </summary>
public static class MembershipInference
{
    /// <summary>Evaluates the attack on the losses of known members and non-members (lower loss = "member").</summary>
    /// <exception cref="ArgumentException">Either set is empty or holds NaN.</exception>
    public static AttackResult LossThreshold(IReadOnlyList<double> memberLosses, IReadOnlyList<double> nonMemberLosses, double lowFpr = 0.01)
    {
        ArgumentNullException.ThrowIfNull(memberLosses);
        ArgumentNullException.ThrowIfNull(nonMemberLosses);
        if (memberLosses.Count == 0 || nonMemberLosses.Count == 0)
            throw new ArgumentException($"The attack needs members and non-members; got {memberLosses.Count} and {nonMemberLosses.Count}.");
        if (memberLosses.Any(double.IsNaN) || nonMemberLosses.Any(double.IsNaN))
            throw new ArgumentException("Losses must not be NaN.");
        if (!(lowFpr > 0 && lowFpr < 1)) throw new ArgumentOutOfRangeException(nameof(lowFpr), lowFpr, "The low FPR must be in (0, 1).");

        // Score = -loss: higher means "more likely a member". Walk the distinct scores from high to low.
        var scored = memberLosses.Select(l => (Score: -l, Member: true))
            .Concat(nonMemberLosses.Select(l => (Score: -l, Member: false)))
            .OrderByDescending(s => s.Score)
            .ToArray();
        double p = memberLosses.Count, n = nonMemberLosses.Count;
        var curve = new List<RocPoint> { new(0, 0) };
        double tp = 0, fp = 0, area = 0, tprAtLow = 0;
        for (var i = 0; i < scored.Length;)
        {
            var j = i;
            double groupTp = 0, groupFp = 0;
            while (j < scored.Length && scored[j].Score == scored[i].Score)
            {
                if (scored[j].Member) groupTp++; else groupFp++;
                j++;
            }
            // Trapezoid over the group: a tie between a member and a non-member counts half, as in the Mann-Whitney U.
            area += groupFp * (tp + groupTp / 2);
            tp += groupTp;
            fp += groupFp;
            var point = new RocPoint(fp / n, tp / p);
            curve.Add(point);
            if (point.FalsePositiveRate <= lowFpr) tprAtLow = Math.Max(tprAtLow, point.TruePositiveRate);
            i = j;
        }
        return new AttackResult(area / (p * n), tprAtLow, lowFpr, memberLosses.Count, nonMemberLosses.Count, curve);
    }
}
