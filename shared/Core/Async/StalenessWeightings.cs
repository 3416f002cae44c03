using System.Globalization;

namespace FlMicroservices.Core.Async;

/// <summary>Parses a staleness weighting by name: polynomial[:A], constant or hinge[:A,B] (docs/fedbuff.md).</summary>
public static class StalenessWeightings
{
    /// <summary>The forms <see cref="Create"/> accepts.</summary>
    public const string ValidForms = "polynomial (1/sqrt(1+s)), polynomial:A (1/(1+s)^A), constant, hinge (a = 10, b = 4) or hinge:A,B";

    /// <exception cref="ArgumentException">The name is unknown or a parameter is not a valid number (named).</exception>
    public static IStalenessWeighting Create(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var (name, arguments) = spec.IndexOf(':') is var colon and >= 0 ? (spec[..colon], spec[(colon + 1)..].Split(',')) : (spec, []);
        return (name, arguments.Length) switch
        {
            ("constant", 0) => new ConstantStaleness(),
            ("polynomial", 0) => new PolynomialStaleness(),
            ("polynomial", 1) => new PolynomialStaleness(Number(spec, arguments[0], "exponent A", 0)),
            ("hinge", 0) => new HingeStaleness(),
            ("hinge", 2) => new HingeStaleness(Number(spec, arguments[0], "slope A", 0), (int)Number(spec, arguments[1], "threshold B", 0, whole: true)),
            _ => throw new ArgumentException($"Staleness weighting '{spec}' is unknown ({ValidForms}).", nameof(spec)),
        };
    }

    private static double Number(string spec, string text, string what, double minimum, bool whole = false)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value) || value < minimum
            || (whole && (value != Math.Floor(value) || value > int.MaxValue)))
            throw new ArgumentException($"Staleness weighting '{spec}': {what} '{text}' must be a finite {(whole ? "whole " : "")}number, {minimum} or more.", nameof(spec));
        return value;
    }
}
