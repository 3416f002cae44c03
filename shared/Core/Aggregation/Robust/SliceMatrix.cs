using System.Numerics.Tensors;

namespace FlMicroservices.Core.Aggregation.Robust;

/// <summary>
/// Every client's values for every slice of one round: for each slice index, a clients x slice-length matrix.
/// The state of the robust strategies, which need all updates rather than a running sum.
/// </summary>
/// <remarks>Design notes: docs/aggregation.md, "Notes: SliceMatrix".</remarks>
public sealed class SliceMatrix
{
    private readonly Dictionary<string, int> _slotById = new(StringComparer.Ordinal);
    private readonly List<string> _idBySlot = [];
    // [slice][slot] -> that client's values for that slice; the inner array grows as clients appear.
    private readonly float[]?[]?[] _rows;
    private readonly int[] _delivered;
    private readonly List<int> _rowsBySlot = []; // rows each slot holds: a client whose rows were all removed is no longer listed
    private int[]? _slotsInOrder;

    public SliceMatrix(int parameterCount, int sliceElements)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sliceElements);
        ParameterCount = parameterCount;
        SliceElements = sliceElements;
        SliceCount = (int)((parameterCount + (long)sliceElements - 1) / sliceElements);
        _rows = new float[]?[]?[SliceCount];
        _delivered = new int[SliceCount];
    }

    public int ParameterCount { get; }
    public int SliceElements { get; }
    public int SliceCount { get; }

    /// <summary>Number of (client, slice) values stored.</summary>
    public int FoldedSlices { get; private set; }

    /// <summary>Number of slices at least one client delivered.</summary>
    public int OwnedSliceCount { get; private set; }

    /// <summary>Number of distinct clients that delivered at least one slice.</summary>
    public int ClientCount => SlotsInOrder().Length;

    public int SliceLength(int sliceIndex)
    {
        CheckSliceIndex(sliceIndex);
        return Math.Min(SliceElements, ParameterCount - sliceIndex * SliceElements);
    }

    /// <summary>Whether at least one client delivered slice <paramref name="sliceIndex"/>.</summary>
    public bool IsOwned(int sliceIndex)
    {
        CheckSliceIndex(sliceIndex);
        return _delivered[sliceIndex] > 0;
    }

    /// <summary>Number of clients that delivered slice <paramref name="sliceIndex"/>.</summary>
    public int DeliveredCount(int sliceIndex)
    {
        CheckSliceIndex(sliceIndex);
        return _delivered[sliceIndex];
    }

    /// <summary>Stores a copy of <paramref name="values"/> as <paramref name="clientId"/>'s slice <paramref name="sliceIndex"/>.</summary>
    /// <exception cref="ArgumentException">Wrong length, or this client already delivered this slice.</exception>
    public void Add(string clientId, int sliceIndex, ReadOnlySpan<float> values)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if ((uint)sliceIndex >= (uint)SliceCount)
            throw new ArgumentOutOfRangeException(nameof(sliceIndex), sliceIndex, $"The model has {SliceCount} slices.");
        var length = SliceLength(sliceIndex);
        if (values.Length != length)
            throw new ArgumentException($"Slice {sliceIndex} must hold {length} values, not {values.Length}.", nameof(values));

        var known = _slotById.TryGetValue(clientId, out var slot);
        var rows = _rows[sliceIndex];
        if (known && rows is not null && slot < rows.Length && rows[slot] is not null)
            throw new ArgumentException($"Client '{clientId}' already delivered slice {sliceIndex}.", nameof(sliceIndex));
        if (!known)
        {
            slot = _idBySlot.Count;
            _slotById.Add(clientId, slot);
            _idBySlot.Add(clientId);
            _rowsBySlot.Add(0);
            _slotsInOrder = null;
        }
        if (_rowsBySlot[slot]++ == 0) _slotsInOrder = null;
        if (rows is null)
        {
            rows = new float[]?[Math.Max(4, _idBySlot.Count)];
            _rows[sliceIndex] = rows;
            OwnedSliceCount++;
        }
        else if (slot >= rows.Length)
        {
            Array.Resize(ref rows, Math.Max(slot + 1, rows.Length * 2));
            _rows[sliceIndex] = rows;
        }
        rows[slot] = values.ToArray();
        _delivered[sliceIndex]++;
        FoldedSlices++;
    }

    /// <summary>
    /// Takes <paramref name="clientId"/>'s slice <paramref name="sliceIndex"/> out again, as if it had never been added (a
    /// client rejected after some of its slices were stored). A client left with no slices is no longer listed.
    /// </summary>
    /// <exception cref="ArgumentException">That client did not deliver that slice.</exception>
    public void Remove(string clientId, int sliceIndex)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        CheckSliceIndex(sliceIndex);
        if (!_slotById.TryGetValue(clientId, out var slot) || RowBySlot(sliceIndex, slot) is null)
            throw new ArgumentException($"Client '{clientId}' did not deliver slice {sliceIndex}.", nameof(clientId));
        var rows = _rows[sliceIndex]!;
        rows[slot] = null;
        FoldedSlices--;
        if (--_delivered[sliceIndex] == 0)
        {
            _rows[sliceIndex] = null;
            OwnedSliceCount--;
        }
        if (--_rowsBySlot[slot] == 0) _slotsInOrder = null;
    }

    /// <summary>Every client that delivered at least one slice, in ordinal order of ids.</summary>
    public IReadOnlyList<string> Clients
    {
        get
        {
            var slots = SlotsInOrder();
            var ids = new string[slots.Length];
            for (var i = 0; i < slots.Length; i++) ids[i] = _idBySlot[slots[i]];
            return ids;
        }
    }

    /// <summary>The clients that delivered slice <paramref name="sliceIndex"/>, in ordinal order of ids.</summary>
    public IReadOnlyList<string> ClientsOf(int sliceIndex)
    {
        CheckSliceIndex(sliceIndex);
        var ids = new List<string>(_delivered[sliceIndex]);
        foreach (var slot in SlotsInOrder())
            if (RowBySlot(sliceIndex, slot) is not null) ids.Add(_idBySlot[slot]);
        return ids;
    }

    /// <summary>The clients that delivered every owned slice, in ordinal order of ids: the clients a distance-based rule can compare.</summary>
    public IReadOnlyList<string> CompleteClients()
    {
        var ids = new List<string>(ClientCount);
        foreach (var slot in SlotsInOrder())
        {
            var complete = true;
            for (var s = 0; s < SliceCount && complete; s++)
                if (_rows[s] is not null && RowBySlot(s, slot) is null) complete = false;
            if (complete) ids.Add(_idBySlot[slot]);
        }
        return ids;
    }

    /// <summary>Whether <paramref name="clientId"/> delivered slice <paramref name="sliceIndex"/>.</summary>
    public bool Delivered(int sliceIndex, string clientId) => FindRow(sliceIndex, clientId) is not null;

    /// <summary><paramref name="clientId"/>'s values for slice <paramref name="sliceIndex"/>.</summary>
    /// <exception cref="ArgumentException">That client did not deliver that slice.</exception>
    public ReadOnlySpan<float> Row(int sliceIndex, string clientId) => RowArray(sliceIndex, clientId);

    /// <summary>
    /// Writes, for each owned slice, the unweighted mean of the given clients' values (summed in ordinal order of ids);
    /// slices nobody delivered are zero. Every given client must have delivered every owned slice.
    /// </summary>
    public void WriteMean(IReadOnlyList<string> clientIds, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(clientIds);
        if (clientIds.Count == 0)
            throw new ArgumentException("The mean needs at least one client.", nameof(clientIds));
        if (destination.Length != ParameterCount)
            throw new ArgumentException($"Destination must hold {ParameterCount} values.", nameof(destination));
        var ordered = new string[clientIds.Count];
        for (var i = 0; i < ordered.Length; i++) ordered[i] = clientIds[i];
        Array.Sort(ordered, StringComparer.Ordinal);
        for (var s = 0; s < SliceCount; s++)
        {
            var target = destination.Slice(s * SliceElements, SliceLength(s));
            if (_rows[s] is null) { target.Clear(); continue; }
            RowArray(s, ordered[0]).CopyTo(target);
            for (var i = 1; i < ordered.Length; i++)
                TensorPrimitives.Add(target, RowArray(s, ordered[i]), target);
            if (ordered.Length > 1)
                TensorPrimitives.Divide(target, (float)ordered.Length, target);
        }
    }

    /// <summary>Writes every stored row with its client and slice.</summary>
    public void WriteTo(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write("SliceMatrix");
        writer.Write(ParameterCount);
        writer.Write(SliceElements);
        writer.Write(FoldedSlices);
        for (var s = 0; s < SliceCount; s++)
        {
            var rows = _rows[s];
            if (rows is null) continue;
            for (var slot = 0; slot < rows.Length; slot++)
            {
                if (rows[slot] is not { } row) continue;
                writer.Write(s);
                writer.Write(_idBySlot[slot]);
                CheckpointFormat.WriteFloats(writer, row);
            }
        }
        writer.Write(-1);
    }

    /// <summary>Fills an empty matrix of the same shape from a checkpoint written by <see cref="WriteTo"/>.</summary>
    public void ReadFrom(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (FoldedSlices != 0) throw new InvalidOperationException("A checkpoint can only be read into an empty matrix.");
        CheckpointFormat.ExpectTag(reader, "SliceMatrix");
        var (parameters, sliceElements, folded) = (reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32());
        if (parameters != ParameterCount || sliceElements != SliceElements)
            throw new InvalidDataException($"Checkpoint is of a matrix over {parameters} parameters in slices of {sliceElements}; this one has {ParameterCount} and {SliceElements}.");
        for (var s = reader.ReadInt32(); s >= 0; s = reader.ReadInt32())
        {
            CheckSliceIndex(s);
            var client = reader.ReadString();
            Add(client, s, CheckpointFormat.ReadFloats(reader, SliceLength(s), $"slice {s} of {client}"));
        }
        if (FoldedSlices != folded)
            throw new InvalidDataException($"Checkpoint announces {folded} stored slices but holds {FoldedSlices}.");
    }

    /// <summary>The stored array behind a row (never exposed outside the assembly).</summary>
    internal float[] RowArray(int sliceIndex, string clientId) =>
        FindRow(sliceIndex, clientId)
        ?? throw new ArgumentException($"Client '{clientId}' did not deliver slice {sliceIndex}.", nameof(clientId));

    private float[]? FindRow(int sliceIndex, string clientId)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        CheckSliceIndex(sliceIndex);
        return _slotById.TryGetValue(clientId, out var slot) ? RowBySlot(sliceIndex, slot) : null;
    }

    private float[]? RowBySlot(int sliceIndex, int slot)
    {
        var rows = _rows[sliceIndex];
        return rows is not null && slot < rows.Length ? rows[slot] : null;
    }

    private int[] SlotsInOrder()
    {
        if (_slotsInOrder is { } cached) return cached;
        var slots = new List<int>(_idBySlot.Count);
        for (var i = 0; i < _idBySlot.Count; i++)
            if (_rowsBySlot[i] > 0) slots.Add(i);
        slots.Sort((a, b) => string.CompareOrdinal(_idBySlot[a], _idBySlot[b]));
        return _slotsInOrder = [.. slots];
    }

    private void CheckSliceIndex(int sliceIndex)
    {
        if ((uint)sliceIndex >= (uint)SliceCount)
            throw new ArgumentOutOfRangeException(nameof(sliceIndex), sliceIndex, $"The model has {SliceCount} slices.");
    }
}
