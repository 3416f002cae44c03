namespace FlMicroservices.Training;

/// <summary>How a client trains locally: mini-batch SGD for <see cref="Epochs"/> passes over its data.</summary>
/// <param name="Epochs">Passes over the local data (McMahan's E).</param>
/// <param name="BatchSize">Examples per SGD step (McMahan's B); the last batch of an epoch may be smaller.</param>
/// <param name="LearningRate">SGD step size.</param>
public sealed record TrainingSettings(int Epochs, int BatchSize, double LearningRate)
{
    public double Momentum { get; init; }

    /// <summary>L2 penalty applied by SGD to every parameter, biases included.</summary>
    public double WeightDecay { get; init; }

    /// <summary>FedProx's mu: adds mu/2 * ||w - w_global||^2 to the local objective, pulling the client towards the global model (0 = FedAvg).</summary>
    public double ProximalMu { get; init; }

    /// <summary>DP-SGD (local differential privacy for the client's examples); null trains with plain SGD.</summary>
    public DpSgdSettings? DpSgd { get; init; }

    /// <summary>
    /// SCAFFOLD's control correction c − c_i (server minus client control variate), one value per model parameter in
    /// <see cref="ParameterVector"/> order; null trains without it. Every SGD step then uses the corrected gradient
    /// g(y) − c_i + c: the correction is added to each parameter's gradient before the step (after DP-SGD's clipping and
    /// noise, so under DP-SGD it acts on the privatized gradient as post-processing). See <see cref="ScaffoldControl"/>.
    /// </summary>
    /// <remarks>
    /// Not combined with <see cref="Momentum"/> or <see cref="ProximalMu"/>: SCAFFOLD's option II estimates the client's
    /// control variate as (x − y) / (K·η), the mean corrected gradient of plain SGD steps, which momentum and a proximal term
    /// would change (<see cref="Validate"/> refuses both). Weight decay counts as part of the local gradient.
    /// </remarks>
    public float[]? ControlCorrection { get; init; }

    /// <summary>libtorch threads; a process-wide setting that the first training call fixes (see <see cref="TorchRuntime"/>).</summary>
    public int TorchThreads { get; init; } = 1;

    /// <exception cref="ArgumentException">A setting out of its range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (Epochs < 1) problems.Add($"Epochs {Epochs} must be at least 1");
        if (BatchSize < 1) problems.Add($"BatchSize {BatchSize} must be at least 1");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) problems.Add($"LearningRate {LearningRate} must be positive and finite");
        if (!(Momentum >= 0 && Momentum < 1)) problems.Add($"Momentum {Momentum} must be in [0, 1)");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay)) problems.Add($"WeightDecay {WeightDecay} must be zero or positive");
        if (!(ProximalMu >= 0) || !double.IsFinite(ProximalMu)) problems.Add($"ProximalMu {ProximalMu} must be zero or positive");
        if (TorchThreads < 1) problems.Add($"TorchThreads {TorchThreads} must be at least 1");
        if (DpSgd is not null) problems.AddRange(DpSgd.Problems());
        if (ControlCorrection is { } correction)
        {
            if (Momentum > 0) problems.Add($"ControlCorrection (SCAFFOLD) cannot be combined with Momentum {Momentum}: option II's control variate assumes plain SGD steps");
            if (ProximalMu > 0) problems.Add($"ControlCorrection (SCAFFOLD) cannot be combined with ProximalMu {ProximalMu} (FedProx): option II's control variate assumes plain SGD steps");
            var bad = Array.FindIndex(correction, v => !float.IsFinite(v));
            if (bad >= 0) problems.Add($"ControlCorrection[{bad}] is {correction[bad]}; every value must be finite");
        }
        if (problems.Count > 0) throw new ArgumentException("Invalid training settings: " + string.Join("; ", problems) + ".");
    }
}
