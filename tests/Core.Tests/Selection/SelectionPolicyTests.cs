using FlMicroservices.Core.Selection;

namespace FlMicroservices.Core.Tests.Selection;

/// <summary>Each selection policy's choice on hand-built histories (issue 15, item 3).</summary>
public sealed class SelectionPolicyTests
{
    private static ClientHistory C(string id, int selections = 0, int? last = null, double? loss = null, double? seconds = null, int examples = 100) =>
        new(id, selections, last, loss, seconds, examples);

    [Fact]
    public void Every_policy_returns_distinct_candidates_and_the_count_asked_for()
    {
        var candidates = Enumerable.Range(0, 50).Select(i => C($"c{i}", i % 4, i % 3 == 0 ? null : 3, i % 5 == 0 ? null : i / 10.0, i % 7 == 0 ? null : i)).ToArray();
        foreach (var name in SelectionPolicies.Names)
        {
            var policy = SelectionPolicies.Create(name, deadlineSeconds: 20);
            Assert.Equal(name, policy.Name);
            foreach (var count in new[] { 0, 1, 10, 50 })
            {
                var picked = policy.Select(candidates, count, round: 5, new Random(1));
                Assert.Equal(count, picked.Count);
                Assert.Equal(count, picked.Distinct().Count());
                Assert.All(picked, id => Assert.Contains(candidates, c => c.ClientId == id));
            }
            Assert.Throws<ArgumentOutOfRangeException>(() => policy.Select(candidates, 51, 5, new Random(1)));
        }
        Assert.Contains("'greedy' is unknown", Assert.Throws<ArgumentException>(() => SelectionPolicies.Create("greedy", 1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_seed_gives_the_same_choice()
    {
        var candidates = Enumerable.Range(0, 30).Select(i => C($"c{i}", loss: 1 + i % 4, seconds: i)).ToArray();
        foreach (var name in SelectionPolicies.Names)
            Assert.Equal(SelectionPolicies.Create(name, 20).Select(candidates, 7, 4, new Random(9)), SelectionPolicies.Create(name, 20).Select(candidates, 7, 4, new Random(9)));
    }

    [Fact]
    public void Fairness_takes_the_least_selected_first()
    {
        var candidates = new[] { C("often", 9), C("never-a", 0), C("once", 1), C("never-b", 0), C("twice", 2) };
        var picked = new FairnessSelection().Select(candidates, 3, 10, new Random(3));
        Assert.Equal(["never-a", "never-b", "once"], picked.Order());
    }

    [Fact]
    public void Power_of_choice_keeps_the_highest_losses_of_its_draw()
    {
        // d = 2 x 2 = 4 of 4: the whole list is drawn, the two highest losses are kept.
        var candidates = new[] { C("low", loss: 0.1), C("high", loss: 2.0), C("mid", loss: 0.5), C("highest", loss: 3.0) };
        Assert.Equal(["high", "highest"], new PowerOfChoiceSelection().Select(candidates, 2, 4, new Random(5)).Order());
        // A client with no loss yet ranks first: it may well be the one the model fits worst.
        var withNewcomer = candidates.Append(C("new")).ToArray();
        for (var seed = 0; seed < 20; seed++)
        {
            var picked = new PowerOfChoiceSelection(candidateFactor: 5).Select(withNewcomer, 1, 4, new Random(seed));
            Assert.Equal(["new"], picked);
        }
    }

    [Fact]
    public void Deadline_aware_skips_clients_too_slow_for_the_deadline_and_fills_with_the_fastest_of_them()
    {
        var candidates = new[] { C("fast", seconds: 5), C("slow", seconds: 50), C("unknown"), C("ok", seconds: 19.9), C("slower", seconds: 90) };
        var policy = new DeadlineAwareSelection(deadlineSeconds: 20);
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal(["fast", "ok", "unknown"], policy.Select(candidates, 3, 2, new Random(seed)).Order());
        Assert.Equal(["fast", "ok", "slow", "unknown"], policy.Select(candidates, 4, 2, new Random(1)).Order()); // slow (50 s) before slower (90 s)
    }

    [Fact]
    public void Oort_prefers_high_loss_fast_clients_and_explores_newcomers()
    {
        var policy = new OortSelection(deadlineSeconds: 10, epsilon: 0.2);
        // Same examples; utility follows the loss, and a client three times slower than the deadline loses a factor 9.
        var fastHigh = C("fast-high", 1, 9, loss: 2.0, seconds: 5);
        var fastLow = C("fast-low", 1, 9, loss: 0.2, seconds: 5);
        var slowHigh = C("slow-high", 1, 9, loss: 2.0, seconds: 30);
        Assert.True(policy.Utility(fastHigh, 10) > policy.Utility(slowHigh, 10));
        Assert.Equal(9, policy.Utility(fastHigh, 10) / policy.Utility(slowHigh, 10), 9);
        Assert.Equal(10, policy.Utility(fastHigh, 10) / policy.Utility(fastLow, 10), 9);
        // A client not picked for longer gets a larger bonus.
        Assert.True(policy.Utility(fastHigh with { LastSelectedRound = 1 }, 10) > policy.Utility(fastHigh, 10));

        // 5 picks: epsilon 0.2 -> one newcomer; the other four by utility among the explored.
        var explored = Enumerable.Range(0, 8).Select(i => C($"e{i}", 1, 9, loss: i < 4 ? 3.0 : 0.01, seconds: 5)).ToArray();
        var newcomers = new[] { C("n1"), C("n2"), C("n3") };
        var counts = new Dictionary<string, int>();
        for (var seed = 0; seed < 200; seed++)
        {
            var picked = policy.Select([.. explored, .. newcomers], 5, 10, new Random(seed));
            Assert.Single(picked, p => p.StartsWith('n'));
            foreach (var p in picked) counts[p] = counts.GetValueOrDefault(p) + 1;
        }
        // The four high-loss clients are always picked; the low-loss ones (utility 300x lower) fall below the cut-off.
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(200, counts[$"e{i}"]));
        Assert.All(Enumerable.Range(4, 4), i => Assert.False(counts.ContainsKey($"e{i}")));
        // Newcomers share the exploration slot.
        Assert.All(newcomers, n => Assert.InRange(counts[n.ClientId], 40, 100));
    }

    [Fact]
    public void Oort_fills_with_newcomers_when_too_few_clients_are_explored()
    {
        var picked = new OortSelection(10).Select([C("e", 1, 1, 1.0, 1), C("n1"), C("n2"), C("n3")], 4, 2, new Random(1));
        Assert.Equal(["e", "n1", "n2", "n3"], picked.Order());
    }
}
