namespace FlMicroservices.Core.Data;

/// <summary>McMahan et al. (2017) pathological non-IID split: label-sorted samples cut into equal shards, a few random shards per client.</summary>
/// <remarks>Design notes: docs/data.md, "Notes: ShardPartitioner".</remarks>
public sealed class ShardPartitioner : IPartitioner
{
    public const int DefaultShardsPerClient = 2;

    public ShardPartitioner(int shardsPerClient = DefaultShardsPerClient)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardsPerClient, 1);
        ShardsPerClient = shardsPerClient;
    }

    public int ShardsPerClient { get; }

    public string Name => $"shards:{ShardsPerClient}";

    public int[][] Partition(ReadOnlySpan<int> labels, int clientCount, int classCount, Random rng)
    {
        PartitionInput.Validate(labels, clientCount, classCount, rng);
        var shardCount = (long)clientCount * ShardsPerClient;
        if (labels.Length < shardCount)
            throw new ArgumentException(
                $"{clientCount} clients x {ShardsPerClient} shards need at least {shardCount} samples so that no shard is empty; " +
                $"there are only {labels.Length}. Use fewer clients or fewer shards per client.",
                nameof(labels));

        var sorted = new int[labels.Length];
        var filled = 0;
        foreach (var group in PartitionInput.IndicesByLabel(labels, classCount))
        {
            group.CopyTo(sorted, filled);
            filled += group.Length;
        }

        var shards = new int[(int)shardCount];
        for (var s = 0; s < shards.Length; s++)
            shards[s] = s;
        rng.Shuffle(shards);

        var clients = new int[clientCount][];
        for (var c = 0; c < clientCount; c++)
        {
            var owned = new List<int>();
            for (var k = 0; k < ShardsPerClient; k++)
            {
                var (start, length) = PartitionInput.EvenSlice(sorted.Length, shards.Length, shards[c * ShardsPerClient + k]);
                owned.AddRange(sorted.AsSpan(start, length));
            }
            clients[c] = owned.ToArray();
            Array.Sort(clients[c]);
        }
        return clients;
    }
}
