using FlMicroservices.Core.Privacy;

namespace FlMicroservices.Core.Tests.Privacy;

public class ParticipationAccountantTests
{
    [Theory]
    [InlineData(1.0, 1)]
    [InlineData(1.0, 40)]
    [InlineData(4.0, 25)]
    [InlineData(0.8, 3)]
    public void A_client_in_n_releases_spends_what_n_unsampled_steps_of_the_RDP_accountant_spend(double z, int n)
    {
        var accountant = new ParticipationAccountant(z);
        var reference = new RdpAccountant();
        reference.Step(z, sampleRate: 1.0, steps: n);

        Assert.Equal(reference.GetEpsilon(1e-5).Epsilon, accountant.EpsilonAfter(n, 1e-5).Epsilon, 12);
    }

    [Fact]
    public void At_one_order_it_is_the_Gaussian_mechanisms_closed_form()
    {
        // Mironov 2017: n Gaussian mechanisms are (α, n α / (2 z²))-RDP, hence (n α / (2 z²) + log(1/δ) / (α - 1), δ)-DP.
        var accountant = new ParticipationAccountant(2.0, orders: [8.0], RdpConversionMethod.Mironov2017);

        Assert.Equal(10 * 8 / (2 * 4.0) + Math.Log(1e5) / 7, accountant.EpsilonAfter(10, 1e-5).Epsilon, 12);
    }

    [Fact]
    public void Each_client_is_charged_for_the_releases_it_was_in_and_the_guarantee_is_the_busiest_clients()
    {
        var accountant = new ParticipationAccountant(3.0);

        accountant.Charge(["a", "b"]);
        accountant.Charge(["a", "c"]);
        accountant.Charge(["a", "b"]);

        Assert.Equal((3, 2, 1, 0), (accountant.Participations("a"), accountant.Participations("b"), accountant.Participations("c"), accountant.Participations("never")));
        Assert.Equal((3, 3, 3), (accountant.Releases, accountant.MaxParticipations, accountant.Clients));
        Assert.Equal(accountant.EpsilonAfter(3, 1e-5), accountant.Spent(1e-5));
        Assert.True(accountant.EpsilonOf("b", 1e-5).Epsilon < accountant.EpsilonOf("a", 1e-5).Epsilon);
        Assert.Equal(0, accountant.EpsilonOf("never", 1e-5).Epsilon);
    }

    [Fact]
    public void A_client_twice_in_one_release_is_refused_and_nothing_is_charged()
    {
        var accountant = new ParticipationAccountant(1.0);

        var e = Assert.Throws<ArgumentException>(() => accountant.Charge(["a", "b", "a"]));

        Assert.Contains("Client a appears twice", e.Message);
        Assert.Equal((0, 0, 0), (accountant.Releases, accountant.Participations("a"), accountant.Participations("b")));
    }

    [Theory]
    [InlineData(1.0, 8.0)]
    [InlineData(2.0, 3.0)]
    [InlineData(5.0, 1.0)]
    public void The_participation_limit_is_the_last_count_within_the_budget(double z, double budget)
    {
        var accountant = new ParticipationAccountant(z);

        var limit = accountant.MaxParticipationsWithin(budget, 1e-5);

        Assert.True(limit >= 1);
        Assert.True(accountant.EpsilonAfter(limit, 1e-5).Epsilon <= budget);
        Assert.True(accountant.EpsilonAfter(limit + 1, 1e-5).Epsilon > budget);
        for (var i = 0; i < limit; i++)
        {
            Assert.True(accountant.CanParticipate("x", budget, 1e-5));
            accountant.Charge(["x"]);
        }
        Assert.False(accountant.CanParticipate("x", budget, 1e-5));
    }

    [Fact]
    public void A_budget_below_one_release_allows_none()
    {
        var accountant = new ParticipationAccountant(0.5);

        Assert.Equal(0, accountant.MaxParticipationsWithin(0.1, 1e-5));
        Assert.False(accountant.CanParticipate("x", 0.1, 1e-5));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_noise_multiplier_that_is_not_positive_and_finite_is_refused(double z) =>
        Assert.Equal("noiseMultiplier", Assert.Throws<ArgumentOutOfRangeException>(() => new ParticipationAccountant(z)).ParamName);
}
