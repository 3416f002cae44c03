using System.ComponentModel.DataAnnotations;
using FlMicroservices.Training;

namespace FlMicroservices.Node;

/// <summary>Which clients a node process hosts and on what data; bound from the "Node" section (`fl node`'s options as settings).</summary>
public sealed class NodeClientsOptions : IValidatableObject
{
    /// <summary>This node's name; its clients are &lt;Id&gt;-c000, &lt;Id&gt;-c001, ...</summary>
    public string Id { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>Clients hosted by this process (1 for a real client, more for load tests).</summary>
    [Range(1, 100_000)]
    public int Clients { get; set; } = 1;

    /// <summary>The data set (<see cref="DatasetSpec.ValidForms"/>).</summary>
    public string Dataset { get; set; } = "synthetic:1,1";

    /// <summary>This node's data folder (MNIST IDX files).</summary>
    public string? DataDir { get; set; }

    /// <summary>The data set name the clients advertise, which tasks select on; default: the kind of <see cref="Dataset"/>.</summary>
    public string? DatasetName { get; set; }

    /// <summary>How the data set is split among clients: iid | shards[:k] | dirichlet:alpha; null: its natural split.</summary>
    public string? Partition { get; set; }

    /// <summary>Which share of the data this node takes (0-based), of <see cref="Of"/>.</summary>
    [Range(0, 100_000)]
    public int Part { get; set; }

    /// <summary>Number of nodes the data set is split over.</summary>
    [Range(1, 100_000)]
    public int Of { get; set; } = 1;

    /// <summary>Seed of the data generation and split.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The data set name the clients advertise.</summary>
    public string AdvertisedDataset =>
        DatasetName ?? (DatasetSpec.TryParse(Dataset, out var spec, out _) ? spec!.Kind : HostedClient.UnnamedDataset);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Contracts.Identifiers.IsValid(Id + "-c000"))
            yield return new ValidationResult($"'{Id}' is not valid: {Contracts.Identifiers.Rule} (with room for a -c000 suffix)", [nameof(Id)]);
        if (Part >= Of) yield return new ValidationResult($"part {Part} of {Of}: the part must be in [0, Of)", [nameof(Part)]);
        if (!DatasetSpec.TryParse(Dataset, out _, out var problem)) yield return new ValidationResult(problem, [nameof(Dataset)]);
        else if (!Contracts.Identifiers.IsValid(AdvertisedDataset))
            yield return new ValidationResult($"'{AdvertisedDataset}' is not valid: {Contracts.Identifiers.Rule}", [nameof(DatasetName)]);
    }
}
