namespace FlMicroservices.Core.Data;

/// <summary>Splits a labelled data set among federated clients, returning per client the sample indices it owns.</summary>
/// <remarks>
/// Implementations assign every index in [0, labels.Length) to exactly one client, return each client's indices in
/// ascending order, leave no client empty, and draw randomness only from <c>rng</c>, so a seeded generator gives a
/// reproducible split. When a non-empty split is impossible (more clients than samples) they throw
/// <see cref="ArgumentException"/>.
/// </remarks>
public interface IPartitioner
{
    /// <summary>The spec that <see cref="PartitionerFactory.Parse"/> turns back into an equivalent partitioner.</summary>
    string Name { get; }

    /// <summary>Assigns the samples whose labels are <paramref name="labels"/> to <paramref name="clientCount"/> clients.</summary>
    /// <exception cref="ArgumentException">Arguments are out of range, a label lies outside [0, classCount), or no split can give every client a sample.</exception>
    int[][] Partition(ReadOnlySpan<int> labels, int clientCount, int classCount, Random rng);
}
