using System.ComponentModel.DataAnnotations;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Models;

namespace FlMicroservices.Registry;

/// <summary>The largest task the registry accepts; bound from the "Registry" section (a task over any cap is rejected, naming the field).</summary>
public sealed class TaskLimits
{
    public const string Section = "Registry";

    /// <summary>Parameters of the model (SCAFFOLD stores twice as many); 50 million float32 are 200 MB per version.</summary>
    [Range(1, int.MaxValue)]
    public long MaxParameters { get; set; } = 50_000_000;

    [Range(1, 10_000_000)]
    public int MaxRounds { get; set; } = 100_000;

    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan MaxRoundTimeout { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Adds a problem for every part of <paramref name="spec"/> that no service could run or that exceeds a cap.</summary>
    public void Check(TaskSpec spec, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(problems);
        if (spec.Rounds > MaxRounds) problems.Add($"Rounds {spec.Rounds} is over the registry's cap of {MaxRounds} (Registry:MaxRounds)");
        if (spec.RoundTimeout > MaxRoundTimeout)
            problems.Add($"RoundTimeout {spec.RoundTimeout.TotalSeconds:0.###} s is over the registry's cap of {MaxRoundTimeout.TotalSeconds:0} s (Registry:MaxRoundTimeout)");
        if (spec.SampleShape is not { Length: > 0 } shape || shape.Any(d => d <= 0) || spec.ClassCount < 2
            || !ModelShapes.Names.Contains(spec.ModelName ?? "")) return; // named by the basic checks
        long parameters;
        try { parameters = ModelShapes.ParameterCount(spec.ModelName!, shape, spec.ClassCount); }
        catch (ArgumentException e)
        {
            problems.Add($"SampleShape [{string.Join(",", shape)}] does not fit ModelName '{spec.ModelName}': {e.Message}");
            return;
        }
        catch (OverflowException)
        {
            parameters = long.MaxValue;
        }
        parameters = Core.Planning.ModelLayout.Of(spec).StoredLength(parameters);
        if (parameters > MaxParameters)
            problems.Add($"ModelName '{spec.ModelName}' with SampleShape [{string.Join(",", shape)}] and ClassCount {spec.ClassCount} has " +
                $"{(parameters == long.MaxValue ? "too many" : parameters.ToString(System.Globalization.CultureInfo.InvariantCulture))} parameters, " +
                $"over the registry's cap of {MaxParameters} (Registry:MaxParameters)");
    }
}
