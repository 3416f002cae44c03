namespace FlMicroservices.Node;

/// <summary>
/// How many of a node's clients may train at once within <see cref="NodeOptions.MemoryBudgetMb"/>: the process's resident
/// memory now plus an estimate per training client must stay within the budget (docs/simulated-clock.md, "Resource limits").
/// </summary>
public static class MemoryBudget
{
    private const long MiB = 1 << 20;

    /// <summary>
    /// Bytes one client's training holds beyond what the node already has resident: the model's values six times (the trainer's
    /// parameters, gradients and optimizer buffer, the trained copy, the delta and its wire slices, 4 bytes each), its data
    /// twice (the training tensors and a shuffled copy), and 16 MiB of runtime buffers.
    /// </summary>
    public static long PerClientBytes(long modelValues, long dataValues)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(modelValues);
        ArgumentOutOfRangeException.ThrowIfNegative(dataValues);
        return 24 * modelValues + 8 * dataValues + 16 * MiB;
    }

    /// <summary>
    /// The clients that may train at once (at most <paramref name="parallelism"/>), or 0 with the reason they decline when
    /// not even one fits in what is left of <paramref name="budgetBytes"/> after <paramref name="residentBytes"/>.
    /// </summary>
    public static (int Slots, string? Decline) Plan(long budgetBytes, long residentBytes, long perClientBytes, int parallelism)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(budgetBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(residentBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perClientBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parallelism);
        var free = budgetBytes - residentBytes;
        if (free < perClientBytes)
            return (0, FormattableString.Invariant(
                $"its node's memory budget of {budgetBytes / MiB} MiB: {residentBytes / MiB} MiB are in use and one client's training needs about {Math.Ceiling((double)perClientBytes / MiB)} MiB"));
        return ((int)Math.Min(parallelism, free / perClientBytes), null);
    }
}
