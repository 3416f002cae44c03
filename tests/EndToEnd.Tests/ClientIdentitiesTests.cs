using FlMicroservices.Contracts.V1;
using FlMicroservices.Node;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>Which keys hosted clients hold and register, and how often a large simulation's clients beat.</summary>
public sealed class ClientIdentitiesTests
{
    [Fact]
    public void Clients_hold_every_keyed_algorithm_by_default_and_only_the_named_ones_when_asked()
    {
        using var every = new ClientIdentities();
        using var one = new ClientIdentities(null, [SigningAlgorithms.EcdsaP256]);
        using var none = new ClientIdentities(null, []);

        Assert.Equal(SigningAlgorithms.Keyed, every.PublicKeysOf("c1").Select(k => k.Algorithm));
        Assert.Equal([SigningAlgorithms.EcdsaP256], one.PublicKeysOf("c1").Select(k => k.Algorithm));
        Assert.Equal(one.PublicKeysOf("c1")[0].PublicKey, one.PublicKeysOf("c1")[0].PublicKey); // made once, kept
        Assert.Empty(none.PublicKeysOf("c1"));
    }

    [Fact]
    public void An_algorithm_clients_cannot_hold_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentException>(() => new ClientIdentities(null, ["rsa"]));
        Assert.Contains("'rsa'", error.Message, StringComparison.Ordinal);
        Assert.Contains(SigningAlgorithms.MlDsa65, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(30, 15)]
    [InlineData(30_000, 15)]
    [InlineData(100_000, 50)]
    public void A_large_simulation_beats_less_often_but_well_inside_the_healthy_window(int clients, int seconds)
    {
        var interval = NodeOptions.HeartbeatIntervalFor(clients);
        Assert.Equal(TimeSpan.FromSeconds(seconds), interval);
        Assert.True(interval * 2 <= new Selector.SelectorOptions().HealthyWithin);
    }
}
