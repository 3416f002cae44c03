using System.Globalization;
using FlMicroservices.Core.Data;

namespace FlMicroservices.Simulation.Attacks;

/// <summary>A simulated Byzantine behaviour: what an attacking client does to its update or its data.</summary>
public sealed record AttackSpec(AttackKind Kind, double Parameter)
{
    public const string ValidForms = "sign-flip, scale:K, gaussian:SIGMA, label-flip";

    public static AttackSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var spec = text.Trim().ToLowerInvariant();
        if (spec == "sign-flip") return new(AttackKind.SignFlip, -1);
        if (spec == "label-flip") return new(AttackKind.LabelFlip, 0);
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0 && double.TryParse(spec[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value))
        {
            switch (spec[..colon])
            {
                case "scale" when value != 0: return new(AttackKind.Scale, value);
                case "gaussian" when value > 0: return new(AttackKind.Gaussian, value);
            }
        }
        throw new ArgumentException($"Attack '{text}' is not valid (valid: {ValidForms}; K must be non-zero, SIGMA positive).", nameof(text));
    }

    /// <summary>The attack applied to the update (delta) after honest local training; label flipping acts on data instead.</summary>
    public void ApplyToUpdate(Span<float> delta, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        switch (Kind)
        {
            case AttackKind.SignFlip:
            case AttackKind.Scale:
                System.Numerics.Tensors.TensorPrimitives.Multiply(delta, (float)Parameter, delta);
                break;
            case AttackKind.Gaussian:
                for (var i = 0; i < delta.Length; i++) delta[i] = (float)(Parameter * rng.NextNormal());
                break;
        }
    }

    /// <summary>Label flipping (y -> C-1-y) applied once to an attacker's local labels.</summary>
    public static int[] FlipLabels(ReadOnlySpan<int> labels, int classCount)
    {
        var flipped = new int[labels.Length];
        for (var i = 0; i < labels.Length; i++) flipped[i] = classCount - 1 - labels[i];
        return flipped;
    }
}

/// <summary>Kinds of simulated attack.</summary>
public enum AttackKind
{
    SignFlip,
    Scale,
    Gaussian,
    LabelFlip,
}
