using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Aggregation;

namespace FlMicroservices.Core.Planning;

/// <summary>How a task's models are stored: the weights alone, or the weights followed by control variates (SCAFFOLD's [x ; c]).</summary>
public sealed class ModelLayout
{
    private ModelLayout(bool controlVariates) => HasControlVariates = controlVariates;

    /// <summary>The stored model is the weights.</summary>
    public static ModelLayout Plain { get; } = new(false);

    /// <summary>The stored model is [x ; c]: P weights, then P control-variate values.</summary>
    public static ModelLayout WithControlVariates { get; } = new(true);

    public bool HasControlVariates { get; }

    /// <summary>The layout a round's settings name.</summary>
    public static ModelLayout Of(RoundSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.ControlVariates ? WithControlVariates : Plain;
    }

    /// <summary>The layout of a task's models, as its round plans name it; <see cref="Plain"/> when its strategy cannot be built.</summary>
    public static ModelLayout Of(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        try { return Of(RoundPlanner.Configure(StrategyCatalog.Create(spec.Strategy ?? "", spec.StrategyParameters), 0, RoundPlanner.Nominal)); }
        catch (ArgumentException) { return Plain; }
    }

    /// <summary>The stored length of a model of <paramref name="weightCount"/> weights (saturating at <see cref="long.MaxValue"/>).</summary>
    public long StoredLength(long weightCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weightCount);
        if (!HasControlVariates) return weightCount;
        return weightCount > long.MaxValue / 2 ? long.MaxValue : 2 * weightCount;
    }

    /// <summary>The version-0 model to store: <paramref name="weights"/> itself, or [weights ; 0].</summary>
    public float[] InitialModel(float[] weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!HasControlVariates) return weights;
        var stored = new float[checked(2 * weights.Length)];
        weights.CopyTo(stored, 0);
        return stored;
    }

    /// <summary>The weights of a stored model: all of it, or the first half.</summary>
    /// <exception cref="ArgumentException">A model with control variates of odd length.</exception>
    public ReadOnlySpan<float> Weights(ReadOnlySpan<float> stored) =>
        HasControlVariates ? stored[..ScaffoldLayout.WeightCount(stored.Length)] : stored;

    /// <summary>The control variates of a stored model with them: its second half.</summary>
    /// <exception cref="InvalidOperationException">This layout has no control variates.</exception>
    /// <exception cref="ArgumentException">An odd length.</exception>
    public ReadOnlySpan<float> ControlVariates(ReadOnlySpan<float> stored) => HasControlVariates
        ? stored[ScaffoldLayout.WeightCount(stored.Length)..]
        : throw new InvalidOperationException("A model stored without control variates has none.");
}
