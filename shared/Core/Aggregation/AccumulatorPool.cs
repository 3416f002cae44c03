namespace FlMicroservices.Core.Aggregation;

/// <summary>Keeps finished rounds' exact accumulators (one <c>long[]</c> per slice), zeroed, for the next round; see docs/benchmarks.md.</summary>
public sealed class AccumulatorPool
{
    /// <summary>The most bytes <see cref="Shared"/> keeps between rounds: the accumulators of a 64M-parameter model.</summary>
    public const long DefaultCapacityBytes = 512L << 20;

    private readonly Dictionary<int, Stack<long[]>> _free = [];
    private readonly Lock _gate = new();
    private long _retained;

    /// <param name="capacityBytes">The most bytes of free accumulators kept; arrays returned beyond it are left to the GC.</param>
    public AccumulatorPool(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        CapacityBytes = capacityBytes;
    }

    /// <summary>The pool the linear strategies' rounds rent from (process-wide, thread-safe).</summary>
    public static AccumulatorPool Shared { get; } = new(DefaultCapacityBytes);

    /// <summary>The most bytes of free accumulators kept.</summary>
    public long CapacityBytes { get; }

    /// <summary>Bytes of free accumulators held now.</summary>
    public long RetainedBytes
    {
        get { lock (_gate) return _retained; }
    }

    /// <summary>A zeroed array of exactly <paramref name="length"/> elements: a returned one when there is one, else a new one.</summary>
    public long[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        lock (_gate)
        {
            if (_free.TryGetValue(length, out var stack) && stack.TryPop(out var array))
            {
                _retained -= Bytes(array);
                return array;
            }
        }
        return new long[length];
    }

    /// <summary>Zeroes <paramref name="array"/> and keeps it for <see cref="Rent"/> while the pool is under its capacity.</summary>
    /// <remarks>The caller must not use the array afterwards.</remarks>
    public void Return(long[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.Length == 0) return;
        Array.Clear(array); // outside the lock: the array is the caller's until it is pushed
        lock (_gate)
        {
            if (_retained + Bytes(array) > CapacityBytes) return;
            if (!_free.TryGetValue(array.Length, out var stack)) _free[array.Length] = stack = new Stack<long[]>();
            stack.Push(array);
            _retained += Bytes(array);
        }
    }

    /// <summary>Lets go of every free array.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _free.Clear();
            _retained = 0;
        }
    }

    private static long Bytes(long[] array) => (long)array.Length * sizeof(long);
}
