using System.Text.Json.Serialization;

namespace FlMicroservices.Contracts.V1;

/// <summary>The held-out data a task's models are evaluated on; the model registry loads it (docs/events.md, "Validation data").</summary>
/// <remarks>Paths are relative to the model registry's validation data root; they never name a folder outside it.</remarks>
public sealed record ValidationData
{
    /// <summary>Which generator or format holds the data.</summary>
    public required ValidationDataKind Kind { get; init; }

    /// <summary><see cref="ValidationDataKind.Mnist"/>: the folder holding t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (raw or .gz);
    /// <see cref="ValidationDataKind.Idx"/>: the IDX image file.</summary>
    public string? Path { get; init; }

    /// <summary><see cref="ValidationDataKind.Idx"/> only: the IDX label file paired with <see cref="Path"/>.</summary>
    public string? LabelsPath { get; init; }

    /// <summary><see cref="ValidationDataKind.Synthetic"/>: the generator's seed (the nodes' --seed).</summary>
    public int Seed { get; init; } = 1;

    /// <summary><see cref="ValidationDataKind.Synthetic"/>: spread of the devices' model means (FedProx's alpha).</summary>
    public double Alpha { get; init; } = 1;

    /// <summary><see cref="ValidationDataKind.Synthetic"/>: spread of the devices' input means (FedProx's beta).</summary>
    public double Beta { get; init; } = 1;

    /// <summary><see cref="ValidationDataKind.Synthetic"/>: Synthetic-IID instead of Synthetic(alpha, beta).</summary>
    public bool Iid { get; init; }

    /// <summary><see cref="ValidationDataKind.Synthetic"/>: devices the data set was generated for (the nodes' clients times --of); their test splits are pooled.</summary>
    public int Devices { get; init; } = 30;

    /// <summary>Evaluate on the first N samples only; 0 for all.</summary>
    public int Samples { get; init; }
}

/// <summary>Where a task's validation data comes from.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ValidationDataKind>))]
public enum ValidationDataKind
{
    /// <summary>FedProx's Synthetic(alpha, beta) or Synthetic-IID generator: the pooled test splits of every device (60 features, 10 classes).</summary>
    Synthetic,

    /// <summary>The MNIST (or Fashion-MNIST) test set from a folder of IDX files: shape [1, 28, 28], 10 classes.</summary>
    Mnist,

    /// <summary>An operator's IDX pair (an unsigned-byte image file and a label file), preprocessed as MNIST is: shape [1, rows, columns].</summary>
    Idx,
}
