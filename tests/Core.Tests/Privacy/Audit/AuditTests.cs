using FlMicroservices.Core.Privacy.Audit;

namespace FlMicroservices.Core.Tests.Privacy.Audit;

public sealed class MembershipInferenceTests
{
    [Fact]
    public void Auc_counts_the_pairs_the_attack_orders_correctly()
    {
        // Pairs (member, non-member): (1,2) right, (1,4) right, (3,2) wrong, (3,4) right.
        var result = MembershipInference.LossThreshold([1.0, 3.0], [2.0, 4.0]);

        Assert.Equal(0.75, result.Auc, 12);
        Assert.Equal(new RocPoint(0, 0), result.Curve[0]);
        Assert.Equal(new RocPoint(1, 1), result.Curve[^1]);
    }

    [Fact]
    public void Perfect_separation_gives_auc_1_and_full_tpr_at_low_fpr_and_ties_count_half()
    {
        var perfect = MembershipInference.LossThreshold([0.1, 0.2, 0.3], [1.0, 2.0]);
        Assert.Equal(1.0, perfect.Auc, 12);
        Assert.Equal(1.0, perfect.TprAtLowFpr, 12);

        var tied = MembershipInference.LossThreshold([1.0, 1.0], [1.0]);
        Assert.Equal(0.5, tied.Auc, 12);
        Assert.Equal(0.0, tied.TprAtLowFpr, 12);
    }

    [Fact]
    public void Identical_distributions_give_auc_near_one_half()
    {
        var rng = new Random(4);
        var members = Enumerable.Range(0, 2000).Select(_ => rng.NextDouble()).ToArray();
        var others = Enumerable.Range(0, 2000).Select(_ => rng.NextDouble()).ToArray();

        var result = MembershipInference.LossThreshold(members, others);

        // Standard error of the AUC here is about sqrt(1/12 * (1/2000 + 1/2000)) = 0.009.
        Assert.InRange(result.Auc, 0.47, 0.53);
        Assert.InRange(result.TprAtLowFpr, 0, 0.05);
    }

    [Fact]
    public void Empty_or_nan_input_is_refused()
    {
        Assert.Throws<ArgumentException>(() => MembershipInference.LossThreshold([], [1.0]));
        Assert.Throws<ArgumentException>(() => MembershipInference.LossThreshold([double.NaN], [1.0]));
    }
}

public sealed class EmpiricalEpsilonTests
{
    [Fact]
    public void All_of_100_guesses_right_rules_out_epsilon_below_log_odds_of_0_05_to_the_1_over_100()
    {
        // P[Bin(100, p) >= 100] = p^100 = 0.05 at p = 0.05^(1/100); epsilon = log(p / (1 - p)).
        var p = Math.Pow(0.05, 1.0 / 100);
        Assert.Equal(Math.Log(p / (1 - p)), EmpiricalEpsilon.FromGuesses(100, 100, 0.95), 6);
    }

    [Fact]
    public void Guessing_at_chance_proves_nothing_and_more_correct_guesses_never_lower_the_bound()
    {
        Assert.Equal(0, EmpiricalEpsilon.FromGuesses(100, 50));
        Assert.Equal(0, EmpiricalEpsilon.FromGuesses(0, 0));
        var previous = 0.0;
        for (var correct = 50; correct <= 100; correct++)
        {
            var bound = EmpiricalEpsilon.FromGuesses(100, correct);
            Assert.True(bound >= previous, $"{correct} correct gave {bound} < {previous}");
            previous = bound;
        }
    }

    [Fact]
    public void The_binomial_tail_matches_a_direct_sum()
    {
        // P[Bin(10, 0.3) >= 7] = sum_{i=7}^{10} C(10,i) 0.3^i 0.7^(10-i) = 0.0105920...
        Assert.Equal(0.0105920784, EmpiricalEpsilon.UpperTail(10, 7, 0.3), 9);
    }

    [Fact]
    public void Against_randomized_response_with_epsilon_1_the_bound_finds_signal_and_stays_below_1()
    {
        // Each canary's score is its inclusion bit, flipped with probability 1 / (1 + e): exactly 1-DP per canary.
        const double epsilon = 1.0;
        var keep = Math.Exp(epsilon) / (1 + Math.Exp(epsilon));
        var above = 0;
        var bounds = new List<double>();
        for (var seed = 0; seed < 20; seed++)
        {
            var rng = new Random(seed);
            var included = Enumerable.Range(0, 2000).Select(_ => rng.NextDouble() < 0.5).ToArray();
            var scores = included.Select(b => (rng.NextDouble() < keep ? b : !b) ? 1.0 + rng.NextDouble() * 1e-6 : rng.NextDouble() * 1e-6).ToArray();
            var bound = EmpiricalEpsilon.OneRun(scores, included, 500, 500).Epsilon;
            bounds.Add(bound);
            if (bound > epsilon) above++;
        }

        // A 95% bound exceeds the truth in 5% of runs: 1 of 20 expected; 5 or more would happen by chance with probability 0.003.
        Assert.True(above <= 4, $"the 95% bound exceeded the true epsilon in {above} of 20 runs: {string.Join(", ", bounds)}");
        Assert.True(bounds.Average() > 0.5, $"the audit should detect most of epsilon = 1: {string.Join(", ", bounds)}");
    }

    [Fact]
    public void Bad_arguments_are_refused_naming_them()
    {
        Assert.Throws<ArgumentException>(() => EmpiricalEpsilon.OneRun([1.0], [true, false], 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EmpiricalEpsilon.OneRun([1.0, 2.0], [true, false], 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => EmpiricalEpsilon.FromGuesses(10, 11));
    }
}
