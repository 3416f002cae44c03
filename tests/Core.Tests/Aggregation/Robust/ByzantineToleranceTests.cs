using FlMicroservices.Core.Aggregation;
using FlMicroservices.Core.Aggregation.Robust;

namespace FlMicroservices.Core.Tests.Aggregation.Robust;

public class ByzantineToleranceTests
{
    [Theory]
    [InlineData(0.2, 30, 6)]
    [InlineData(0.2, 15, 3)]
    [InlineData(0.2, 4, 0)]
    [InlineData(0.29, 100, 29)] // 0.29 x 100 = 28.999999999999996 in binary: must not floor to 28
    [InlineData(0.0, 50, 0)]
    public void F_is_the_floor_of_the_share_of_the_round(double share, int n, int f) =>
        Assert.Equal(f, new ByzantineTolerance(share).AttackersAmong(n));

    [Fact]
    public void An_explicit_f_ignores_the_round_size()
    {
        var tolerance = ByzantineTolerance.Exactly(4);

        Assert.Equal(4, tolerance.AttackersAmong(3));
        Assert.Equal(4, tolerance.AttackersAmong(300));
        Assert.Equal(11, tolerance.MinimumUpdates(2)); // Krum: 2f + 3
        Assert.Equal(19, tolerance.MinimumUpdates(4)); // Bulyan: 4f + 3
    }

    [Theory]
    [InlineData(0.2, 2, 3)]   // n = 1, 2 fail (n > 2f + 2 with f = 0)
    [InlineData(0.3, 2, 5)]   // n = 4 fails: f = 1 needs 5
    [InlineData(0.2, 4, 11)]  // Bulyan: n = 5, 6 (f = 1) and 10 (f = 2) fail
    [InlineData(0.24, 4, 51)] // n = 50: f = 12 needs 51
    [InlineData(0.0, 4, 3)]
    public void Minimum_updates_is_the_size_from_which_every_round_works(double share, int perAttacker, int expected) =>
        Assert.Equal(expected, new ByzantineTolerance(share).MinimumUpdates(perAttacker));

    [Theory]
    [InlineData(0.25, 4)]
    [InlineData(0.4, 4)]
    [InlineData(0.49, 4)]
    public void Bulyan_has_no_round_size_for_a_quarter_or_more(double share, int perAttacker) =>
        Assert.Null(new ByzantineTolerance(share).MinimumUpdates(perAttacker));

    [Theory]
    [InlineData(0.5)]
    [InlineData(-0.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_share_outside_0_to_one_half_is_refused(double share) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ByzantineTolerance(share));

    [Theory]
    [InlineData(30, 0.5, 15)]
    [InlineData(3, 0.5, 2)]
    [InlineData(1, 0.5, 1)]
    [InlineData(25, 0.28, 7)] // 25 x 0.28 = 7.000000000000001 in binary: must not round up to 8
    [InlineData(7, 1.0, 7)]
    public void Quorum_needs_the_ceiling_of_its_share(int participants, double quorum, int needed) =>
        Assert.Equal(needed, QuorumRule.Needed(participants, quorum));

    [Theory]
    [InlineData(11, 0.5, 21)]
    [InlineData(3, 0.5, 5)]
    [InlineData(13, 1.0, 13)]
    [InlineData(3, 0.3, 7)]
    public void Participants_for_a_quorum_are_the_fewest_that_reach_it(int updates, double quorum, int participants)
    {
        Assert.Equal(participants, QuorumRule.ParticipantsFor(updates, quorum));
        Assert.True(QuorumRule.Needed(participants, quorum) >= updates);
        Assert.True(participants == 1 || QuorumRule.Needed(participants - 1, quorum) < updates);
    }
}
