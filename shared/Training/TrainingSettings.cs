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
        if (problems.Count > 0) throw new ArgumentException("Invalid training settings: " + string.Join("; ", problems) + ".");
    }
}
