namespace FlMicroservices.Core.Privacy;

/// <summary>
/// An (ε, δ)-DP guarantee read off an RDP curve: <see cref="Epsilon"/> at the accountant's δ, and the RDP order α that
/// gave it (<see cref="double.NaN"/> when ε is +∞, i.e. no order gives a finite bound).
/// </summary>
public readonly record struct PrivacySpent(double Epsilon, double BestOrder);
