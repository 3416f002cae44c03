namespace FlMicroservices.Node;

/// <summary>Deterministic per-client, per-round seeds (string.GetHashCode is randomised per process, so FNV-1a is used).</summary>
public static class ClientSeeds
{
    public static int For(int taskSeed, int round, string clientId)
    {
        var hash = 2166136261u;
        foreach (var ch in clientId)
        {
            hash ^= ch;
            hash *= 16777619u;
        }
        hash ^= (uint)taskSeed * 2654435761u;
        hash ^= (uint)round * 40503u;
        return (int)(hash & 0x7fffffff);
    }
}
