using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Core.Planning;

/// <summary>The configure half of a strategy or wrapper (Flower's configure_fit): what it asks of the round's nodes and services.</summary>
public interface IRoundConfigurator
{
    /// <summary><paramref name="settings"/> with what this strategy needs for <paramref name="round"/> added.</summary>
    /// <exception cref="ArgumentException">The settings cannot work with this strategy; the message names the setting.</exception>
    RoundSettings Configure(RoundSettings settings, RoundContext round);
}
