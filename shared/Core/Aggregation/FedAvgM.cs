using System.Numerics.Tensors;

namespace FlMicroservices.Core.Aggregation;

/// <summary>
/// FedAvg with server momentum (Hsu et al. 2019, "Measuring the Effects of Non-Identical Data Distribution for Federated
/// Visual Classification"): with Delta the weighted mean delta, v = beta * v + Delta and x = x + serverLr * v.
/// </summary>
/// <remarks>
/// The instance lives for a whole task: the velocity v (one float per parameter, zero before the first round) carries
/// from round to round. Parameters that nobody delivered in a round get Delta = 0 there, so they keep coasting on their
/// velocity, as any momentum optimizer does. With beta = 0 and serverLr = 1 this is FedAvg. Hsu et al. write the update
/// with the pseudo-gradient -Delta and x - lr * v; the two forms are the same.
/// </remarks>
public sealed class FedAvgM : IAggregationStrategy, ICheckpointable
{
    public const double DefaultServerLearningRate = 1.0;
    public const double DefaultMomentum = 0.9;

    private readonly float _learningRate;
    private readonly float _momentum;
    private float[]? _velocity;

    /// <param name="serverLearningRate">Server learning rate; finite and greater than 0.</param>
    /// <param name="momentum">Server momentum beta in [0, 1).</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range (the exception names it).</exception>
    public FedAvgM(double serverLearningRate = DefaultServerLearningRate, double momentum = DefaultMomentum)
    {
        ServerLearningRate = StrategyArgument.Positive(serverLearningRate, nameof(serverLearningRate));
        Momentum = StrategyArgument.DecayRate(momentum, nameof(momentum));
        _learningRate = (float)serverLearningRate;
        _momentum = (float)momentum;
    }

    public string Name => "fedavgm";
    public double ServerLearningRate { get; }
    public double Momentum { get; }

    /// <summary>The server velocity after the last finished round (empty before the first).</summary>
    public ReadOnlySpan<float> Velocity => _velocity;

    public IRoundAggregator BeginRound(int parameterCount, int sliceElements)
    {
        ServerState.CheckSize(_velocity, parameterCount, "FedAvgM");
        return new MeanDeltaRound("FedAvgM", parameterCount, sliceElements, Step);
    }

    public void WriteCheckpoint(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("FedAvgM");
        CheckpointFormat.WriteOptionalFloats(writer, _velocity);
    }

    public void ReadCheckpoint(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        CheckpointFormat.ExpectTag(reader, "FedAvgM");
        _velocity = CheckpointFormat.ReadOptionalFloats(reader, "FedAvgM velocity");
    }

    private void Step(ReadOnlySpan<float> global, Span<float> meanDeltaThenModel)
    {
        var velocity = ServerState.Get(ref _velocity, global.Length, 0f, "FedAvgM");
        TensorPrimitives.Multiply(velocity, _momentum, velocity);
        TensorPrimitives.Add(velocity, meanDeltaThenModel, velocity);
        TensorPrimitives.Multiply(velocity, _learningRate, meanDeltaThenModel);
        TensorPrimitives.Add(global, meanDeltaThenModel, meanDeltaThenModel);
    }
}
