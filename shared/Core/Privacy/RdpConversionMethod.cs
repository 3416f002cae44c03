namespace FlMicroservices.Core.Privacy;

/// <summary>How an RDP guarantee ε(α) is turned into an (ε, δ)-DP guarantee (see <see cref="RdpConversion"/>).</summary>
public enum RdpConversionMethod
{
    /// <summary>
    /// Balle, Barthe, Gaboardi, Hsu, Sato, "Hypothesis testing interpretations and Rényi differential privacy",
    /// AISTATS 2020, Theorem 21: ε = ε(α) + log((α − 1)/α) − (log δ + log α)/(α − 1). Always at least as tight as
    /// <see cref="Mironov2017"/>; Opacus's RDP accountant uses it.
    /// </summary>
    Balle2020,

    /// <summary>
    /// Mironov, "Rényi differential privacy", CSF 2017, Proposition 3: ε = ε(α) + log(1/δ)/(α − 1). The classic
    /// conversion of the moments accountant (Abadi et al. 2016) and of early TensorFlow Privacy releases.
    /// </summary>
    Mironov2017,
}
