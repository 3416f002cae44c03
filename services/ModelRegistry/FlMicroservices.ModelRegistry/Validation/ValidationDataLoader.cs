using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Data;
using FlMicroservices.Training;
using Microsoft.Extensions.Options;

namespace FlMicroservices.ModelRegistry.Validation;

/// <summary>Loads a task's validation data from its spec, once per distinct spec (an LRU cache); files come only from the data root.</summary>
public sealed class ValidationDataLoader(IOptions<ValidationDataOptions> options)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<(ValidationData Spec, InMemoryDataset Data)> _cache = [];

    /// <summary>The data set <paramref name="spec"/> names, checked against the task's sample shape and classes.</summary>
    /// <exception cref="InvalidDataException">The data cannot be had or does not fit the task; the message says why and names the file.</exception>
    public InMemoryDataset Load(ValidationData spec, TaskSpec task)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(task);
        var data = Cached(spec) ?? Add(spec, Read(spec, task.ClassCount));
        var features = task.SampleShape.Aggregate(1L, (a, b) => a * b);
        if (data.FeatureCount != features)
            throw new InvalidDataException($"{Describe(spec)} has samples of shape [{string.Join(",", data.Shape)}], the task's SampleShape is [{string.Join(",", task.SampleShape)}]");
        if (data.ClassCount > task.ClassCount)
            throw new InvalidDataException($"{Describe(spec)} has {data.ClassCount} classes, the task's ClassCount is {task.ClassCount}");
        return data;
    }

    /// <summary>A short description of the data a spec names, for logs and reasons.</summary>
    public static string Describe(ValidationData spec) => spec.Kind switch
    {
        ValidationDataKind.Synthetic => spec.Iid ? $"Synthetic-IID (seed {spec.Seed}, {spec.Devices} devices)" : $"Synthetic({spec.Alpha},{spec.Beta}) (seed {spec.Seed}, {spec.Devices} devices)",
        ValidationDataKind.Mnist => $"the MNIST test set in '{spec.Path}'",
        _ => $"the IDX pair '{spec.Path}' / '{spec.LabelsPath}'",
    };

    private InMemoryDataset Read(ValidationData spec, int taskClasses)
    {
        var data = spec.Kind switch
        {
            ValidationDataKind.Synthetic => SyntheticFedProx.Generate(spec.Alpha, spec.Beta, spec.Iid, spec.Seed, devices: spec.Devices).PooledTest,
            ValidationDataKind.Mnist => MnistLoader.LoadTest(Resolve(spec.Path, nameof(spec.Path))),
            ValidationDataKind.Idx => MnistLoader.LoadIdxPair(Resolve(spec.Path, nameof(spec.Path)), Resolve(spec.LabelsPath, nameof(spec.LabelsPath)), taskClasses),
            _ => throw new InvalidDataException($"Validation.Kind {spec.Kind} is unknown"),
        };
        if (data.Count == 0) throw new InvalidDataException($"{Describe(spec)} holds no samples");
        return spec.Samples > 0 && spec.Samples < data.Count ? data.Take(spec.Samples) : data;
    }

    /// <summary>The absolute path of a file named relative to the data root; the spec cannot leave the root.</summary>
    private string Resolve(string? relative, string field)
    {
        var root = options.Value.DataRoot;
        if (string.IsNullOrEmpty(root))
            throw new InvalidDataException($"Validation.{field} '{relative}' cannot be read: the model registry has no Validation:DataRoot configured");
        if (string.IsNullOrWhiteSpace(relative))
            throw new InvalidDataException($"Validation.{field} is missing");
        var full = Path.GetFullPath(Path.Combine(root, relative));
        var rootFull = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootFull, StringComparison.Ordinal))
            throw new InvalidDataException($"Validation.{field} '{relative}' lies outside the validation data root");
        return full;
    }

    private InMemoryDataset? Cached(ValidationData spec)
    {
        lock (_gate)
        {
            for (var node = _cache.First; node is not null; node = node.Next)
            {
                if (!node.Value.Spec.Equals(spec)) continue;
                _cache.Remove(node);
                _cache.AddFirst(node);
                return node.Value.Data;
            }
            return null;
        }
    }

    private InMemoryDataset Add(ValidationData spec, InMemoryDataset data)
    {
        lock (_gate)
        {
            _cache.AddFirst((spec, data));
            while (_cache.Count > options.Value.CacheSize) _cache.RemoveLast();
            return data;
        }
    }
}
