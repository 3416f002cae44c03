using System.Globalization;

namespace FlMicroservices.Core.Data;

/// <summary>Label-skewed non-IID split: each class is divided among clients in proportions drawn from a symmetric Dirichlet(alpha).</summary>
/// <remarks>Design notes: docs/data.md, "Notes: DirichletPartitioner".</remarks>
public sealed class DirichletPartitioner : IPartitioner
{
    public const int DefaultMinSamplesPerClient = 1;
    public const int DefaultMaxAttempts = 100;

    public DirichletPartitioner(double alpha, int minSamplesPerClient = DefaultMinSamplesPerClient, int maxAttempts = DefaultMaxAttempts)
    {
        if (!double.IsFinite(alpha) || alpha <= 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The Dirichlet concentration must be a finite number > 0.");
        ArgumentOutOfRangeException.ThrowIfLessThan(minSamplesPerClient, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        Alpha = alpha;
        MinSamplesPerClient = minSamplesPerClient;
        MaxAttempts = maxAttempts;
    }

    public double Alpha { get; }
    public int MinSamplesPerClient { get; }
    public int MaxAttempts { get; }

    public string Name => "dirichlet:" + Alpha.ToString(CultureInfo.InvariantCulture);

    public int[][] Partition(ReadOnlySpan<int> labels, int clientCount, int classCount, Random rng)
    {
        PartitionInput.Validate(labels, clientCount, classCount, rng);
        var byLabel = PartitionInput.IndicesByLabel(labels, classCount);

        List<int>[]? best = null;
        var bestShortfall = long.MaxValue;
        for (var attempt = 0; attempt < MaxAttempts && bestShortfall > 0; attempt++)
        {
            var clients = Draw(byLabel, clientCount, rng);
            var shortfall = 0L;
            foreach (var owned in clients)
                shortfall += Math.Max(0, MinSamplesPerClient - owned.Count);
            if (shortfall < bestShortfall)
            {
                best = clients;
                bestShortfall = shortfall;
            }
        }

        var target = Math.Min(MinSamplesPerClient, labels.Length / clientCount);
        TopUp(best!, target, rng);
        return PartitionInput.ToSortedArrays(best!);
    }

    private List<int>[] Draw(int[][] byLabel, int clientCount, Random rng)
    {
        var clients = new List<int>[clientCount];
        for (var c = 0; c < clientCount; c++)
            clients[c] = [];
        foreach (var group in byLabel)
        {
            var shuffled = (int[])group.Clone();
            rng.Shuffle(shuffled);
            var proportions = rng.NextDirichlet(Alpha, clientCount);
            var cumulative = 0.0;
            var start = 0;
            for (var c = 0; c < clientCount; c++)
            {
                cumulative += proportions[c];
                var end = c == clientCount - 1 ? shuffled.Length : Math.Min(shuffled.Length, (int)(cumulative * shuffled.Length));
                end = Math.Max(end, start);
                clients[c].AddRange(shuffled.AsSpan(start, end - start));
                start = end;
            }
        }
        return clients;
    }

    private static void TopUp(List<int>[] clients, int target, Random rng)
    {
        while (true)
        {
            var smallest = 0;
            var largest = 0;
            for (var c = 1; c < clients.Length; c++)
            {
                if (clients[c].Count < clients[smallest].Count) smallest = c;
                if (clients[c].Count > clients[largest].Count) largest = c;
            }
            if (clients[smallest].Count >= target)
                return;
            var donor = clients[largest];
            var pick = rng.Next(donor.Count);
            clients[smallest].Add(donor[pick]);
            donor[pick] = donor[^1];
            donor.RemoveAt(donor.Count - 1);
        }
    }
}
