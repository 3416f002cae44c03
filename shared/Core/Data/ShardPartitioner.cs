namespace FlMicroservices.Core.Data;

/// <summary>McMahan et al. (2017) pathological non-IID split: label-sorted samples cut into equal shards, a few random shards per client.</summary>
/// <remarks>
/// <para>
/// Samples are sorted by label (ties by index), the sorted sequence is cut into clientCount x <see cref="ShardsPerClient"/>
/// contiguous shards whose sizes differ by at most one, and each client receives <see cref="ShardsPerClient"/> shards
/// chosen uniformly without replacement.
/// </para>
/// <para>
/// Label bound, precisely: a shard holds one label plus one more for every class boundary of the sorted sequence that
/// falls strictly inside it. When the sample count divides evenly into shards and every class size is a multiple of the
/// shard size, no boundary falls inside a shard, so every client holds at most <see cref="ShardsPerClient"/> labels.
/// Otherwise a shard straddling a boundary holds two labels (more if a class is smaller than a shard), and a client can
/// exceed the bound. McMahan's MNIST setting (60 000 samples, 200 shards of 300) is of the second kind, because MNIST's
/// class sizes are not multiples of 300: up to 9 of its shards straddle a boundary, and a client that receives one
/// can hold three labels (four if both of its shards straddle).
/// </para>
/// </remarks>
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
