using FlMicroservices.Core.Models;

namespace FlMicroservices.Core.Tests.Models;

public class RollbackPolicyTests
{
    private static readonly RollbackPolicy Policy = RollbackPolicy.Default;

    // Feeds accuracies round by round (candidate versions 1, 2, ...) and returns every decision.
    private static List<RollbackDecision> Run(RollbackPolicy policy, double initial, params double?[] accuracies)
    {
        var history = VersionHistory.Initial(0, initial);
        var decisions = new List<RollbackDecision>();
        for (var i = 0; i < accuracies.Length; i++)
        {
            var decision = policy.Decide(history, i + 1, accuracies[i], finite: true);
            decisions.Add(decision);
            if (decision.Outcome == CandidateOutcome.Stop) break;
            history = decision.Next;
        }
        return decisions;
    }

    [Fact]
    public void Improving_candidates_become_current_and_best()
    {
        var decisions = Run(Policy, 0.1, 0.5, 0.7, 0.8);
        Assert.All(decisions, d => Assert.Equal(CandidateOutcome.NewBest, d.Outcome));
        Assert.Equal(3, decisions[^1].Next.Best);
        Assert.Equal(3, decisions[^1].ContinueFrom);
        Assert.Equal(0.8, decisions[^1].Next.BestAccuracy);
    }

    [Fact]
    public void A_drop_beyond_the_maximum_goes_back_to_the_best_version_not_to_the_last_current_one()
    {
        // 0.9 best (v1), then 0.85 (accepted, v2 current), then 0.6: more than 0.2 below 0.9.
        var decisions = Run(Policy, 0.1, 0.9, 0.85, 0.6);
        Assert.Equal(CandidateOutcome.Accepted, decisions[1].Outcome);
        Assert.Equal(CandidateOutcome.RolledBack, decisions[2].Outcome);
        Assert.Equal(1, decisions[2].ContinueFrom);
        Assert.Equal(0.9, decisions[2].Next.CurrentAccuracy);
        Assert.Contains("version 3 rolled back to version 1", decisions[2].Reason);
        Assert.Contains("more than 0.2 below the best version 1", decisions[2].Reason);
    }

    [Fact]
    public void A_slow_slide_inside_the_maximum_drop_returns_to_the_best_version_after_the_window()
    {
        // The DP run: a peak near 0.9, then a slide of about half a point per round, never 20 points at once.
        var slide = Enumerable.Range(1, 40).Select(i => (double?)(0.9 - 0.005 * i)).ToArray();
        var decisions = Run(Policy, 0.1, [0.9, .. slide]);
        // 0.9 - 0.005 i is more than 0.02 below 0.9 from i = 5 (0.875): the 5th such in a row is i = 9.
        var first = decisions.FindIndex(d => d.RolledBack);
        Assert.Equal(9, first); // decisions[0] is the peak, decisions[i] slide step i
        Assert.Equal(1, decisions[first].ContinueFrom);
        Assert.All(decisions.Take(first).Skip(1), d => Assert.Equal(CandidateOutcome.Accepted, d.Outcome));
        // Never frozen below the best: every rollback continues from version 1 at 0.9.
        Assert.All(decisions.Where(d => d.RolledBack), d => Assert.Equal(0.9, d.Next.CurrentAccuracy));
    }

    [Fact]
    public void Noise_within_the_margin_is_not_a_degradation()
    {
        var decisions = Run(Policy, 0.1, 0.9, 0.89, 0.895, 0.885, 0.89, 0.889, 0.881, 0.899);
        Assert.DoesNotContain(decisions, d => d.RolledBack);
        Assert.All(decisions.Skip(1), d => Assert.Equal(0, d.Next.Degradations));
    }

    [Fact]
    public void Rollbacks_in_a_row_stop_the_task_on_the_best_version_with_the_reason()
    {
        var decisions = Run(Policy with { MaxRollbacksInARow = 3 }, 0.1, 0.9, 0.5, 0.4, 0.3, 0.2);
        Assert.Equal(4, decisions.Count);
        Assert.Equal([CandidateOutcome.NewBest, CandidateOutcome.RolledBack, CandidateOutcome.RolledBack, CandidateOutcome.Stop],
            decisions.Select(d => d.Outcome));
        Assert.Equal(1, decisions[^1].ContinueFrom);
        Assert.Contains("3 rollbacks in a row, so the task stops on version 1", decisions[^1].Reason);
    }

    [Fact]
    public void An_accepted_candidate_resets_the_rollbacks_in_a_row()
    {
        var decisions = Run(Policy with { MaxRollbacksInARow = 2 }, 0.1, 0.9, 0.5, 0.88, 0.5, 0.89);
        Assert.DoesNotContain(decisions, d => d.Outcome == CandidateOutcome.Stop);
        Assert.Equal([0, 1, 0, 1, 0], decisions.Select(d => d.Next.RollbacksInARow));
    }

    [Fact]
    public void Non_finite_weights_are_rolled_back_even_before_anything_was_evaluated()
    {
        var history = VersionHistory.Initial(0, accuracy: null);
        var decision = Policy.Decide(history, 1, accuracy: null, finite: false);
        Assert.Equal(CandidateOutcome.RolledBack, decision.Outcome);
        Assert.Equal(0, decision.ContinueFrom);
        Assert.Contains("not all finite", decision.Reason);
    }

    [Fact]
    public void Without_validation_every_finite_candidate_becomes_current()
    {
        var history = VersionHistory.Initial(0, accuracy: null);
        for (var v = 1; v <= 3; v++)
        {
            var decision = Policy.Decide(history, v, accuracy: null, finite: true);
            Assert.Equal(CandidateOutcome.Accepted, decision.Outcome);
            Assert.Equal(v, decision.ContinueFrom);
            history = decision.Next;
        }
        Assert.Null(history.Best);
    }

    [Fact]
    public void A_window_of_zero_never_goes_back_for_a_slide()
    {
        var slide = Enumerable.Range(1, 30).Select(i => (double?)(0.9 - 0.005 * i)).ToArray();
        var decisions = Run(Policy with { DegradationWindow = 0 }, 0.1, [0.9, .. slide]);
        Assert.DoesNotContain(decisions, d => d.RolledBack);
    }

    [Fact]
    public void Bad_settings_are_named()
    {
        var problems = new RollbackPolicy(double.NaN, -1, 1.5, -2).Problems().ToList();
        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("RollbackThreshold NaN", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("RollbackWindow -1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("RollbackMargin 1.5", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("MaxRollbacksInARow -2", StringComparison.Ordinal));
        Assert.Empty(RollbackPolicy.Default.Problems());
    }
}
