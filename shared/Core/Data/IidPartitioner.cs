namespace FlMicroservices.Core.Data;

/// <summary>The IID baseline: a uniform random permutation cut into client shares whose sizes differ by at most one.</summary>
public sealed class IidPartitioner : IPartitioner
{
    public string Name => "iid";

    public int[][] Partition(ReadOnlySpan<int> labels, int clientCount, int classCount, Random rng)
    {
        PartitionInput.Validate(labels, clientCount, classCount, rng);
        var order = new int[labels.Length];
        for (var i = 0; i < order.Length; i++)
            order[i] = i;
        rng.Shuffle(order);
        var clients = new int[clientCount][];
        for (var c = 0; c < clientCount; c++)
        {
            var (start, length) = PartitionInput.EvenSlice(order.Length, clientCount, c);
            clients[c] = order.AsSpan(start, length).ToArray();
            Array.Sort(clients[c]);
        }
        return clients;
    }
}
