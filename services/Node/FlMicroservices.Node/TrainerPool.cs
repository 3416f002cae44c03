using System.Collections.Concurrent;
using FlMicroservices.Training;

namespace FlMicroservices.Node;

/// <summary>Reuses TorchSharp trainers (building a module is slow; a trainer is single-threaded).</summary>
public sealed class TrainerPool : IDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<LocalTrainer>> _idle = new(StringComparer.Ordinal);

    public LocalTrainer Rent(string modelName, int[] sampleShape, int classCount)
    {
        var key = Key(modelName, sampleShape, classCount);
        if (_idle.GetOrAdd(key, _ => []).TryTake(out var trainer)) return trainer;
        return new LocalTrainer(modelName, sampleShape, classCount);
    }

    public void Return(string modelName, int[] sampleShape, int classCount, LocalTrainer trainer) =>
        _idle.GetOrAdd(Key(modelName, sampleShape, classCount), _ => []).Add(trainer);

    private static string Key(string modelName, int[] shape, int classes) => $"{modelName}|{string.Join('x', shape)}|{classes}";

    public void Dispose()
    {
        foreach (var bag in _idle.Values)
            while (bag.TryTake(out var trainer)) trainer.Dispose();
    }
}
