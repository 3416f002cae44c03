using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;

namespace FlMicroservices.Selector;

/// <summary>What a task needs of a client's data: a data set of this sample shape and class count, with this name when one is given.</summary>
public sealed record DatasetRequirement(string? Name, int[] SampleShape, int ClassCount)
{
    /// <summary>The task's requirement: <see cref="TaskSpec.Dataset"/>, else the name its validation data implies, else any name.</summary>
    public static DatasetRequirement For(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var name = spec.Dataset ?? spec.Validation?.Kind switch
        {
            ValidationDataKind.Synthetic => "synthetic",
            ValidationDataKind.Mnist => "mnist",
            _ => null,
        };
        return new DatasetRequirement(name, spec.SampleShape, spec.ClassCount);
    }

    /// <summary>Whether the client holds a matching data set; a client that advertised none (a legacy registration) matches any task.</summary>
    public bool Accepts(ClientHealth client) =>
        client.Datasets is not { } datasets || datasets.Any(Accepts);

    public bool Accepts(ClientDataset dataset) =>
        (Name is null || string.Equals(Name, dataset.Name, StringComparison.Ordinal))
        && dataset.ClassCount == ClassCount
        && dataset.SampleShape.AsSpan().SequenceEqual(SampleShape);

    /// <summary>The key under which the health store indexes the clients that meet this requirement (<see cref="DatasetIndex"/>).</summary>
    public string IndexKey => DatasetIndex.Key(Name, SampleShape, ClassCount);

    /// <summary>"dataset mnist [1,28,28]x10", or "a data set [60]x10" when any name will do.</summary>
    public override string ToString() =>
        $"{(Name is null ? "a data set" : $"dataset {Name}")} [{string.Join(",", SampleShape)}]x{ClassCount}";
}
