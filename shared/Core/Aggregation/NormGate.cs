using System.Numerics.Tensors;

namespace FlMicroservices.Core.Aggregation;

/// <summary>Receives a client's slice once its scale is known: the values already multiplied by min(1, bound / norm).</summary>
public delegate void ScaledSliceSink(string clientId, int sliceIndex, ReadOnlySpan<float> values, double weight);

/// <summary>
/// The streaming core of every per-client norm bound (<see cref="NormBounding"/>, DP-FedAvg's clipping): each client's
/// slices are scaled by min(1, bound / ||update||) and passed to a sink. A client whose norm was supplied
/// (<see cref="SetClientNorm"/>) is passed through slice by slice; otherwise its slices are buffered until the last one
/// arrives (or <see cref="ReleaseAll"/>), then measured with <see cref="NormBounding.L2Norm"/>, scaled and passed on.
/// </summary>
/// <remarks>The first norm that takes effect for a client is final. Not thread-safe.</remarks>
public sealed class NormGate(double bound, int parameterCount, int sliceElements, ScaledSliceSink sink)
{
    private readonly Dictionary<string, Client> _clients = new(StringComparer.Ordinal);
    private float[]? _scratch;

    public int SliceCount { get; } = (int)((parameterCount + (long)sliceElements - 1) / sliceElements);

    public int SliceLength(int sliceIndex) => Math.Min(sliceElements, parameterCount - sliceIndex * sliceElements);

    /// <summary>Checks and takes one slice of <paramref name="clientId"/>'s update.</summary>
    /// <exception cref="ArgumentException">Bad index, length or weight, or a slice of this client that already arrived.</exception>
    public void Take(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if ((uint)sliceIndex >= (uint)SliceCount)
            throw new ArgumentOutOfRangeException(nameof(sliceIndex), sliceIndex, $"The model has {SliceCount} slices.");
        var length = SliceLength(sliceIndex);
        if (delta.Length != length)
            throw new ArgumentException($"Slice {sliceIndex} must hold {length} values, not {delta.Length}.", nameof(delta));
        if (!double.IsFinite(weight) || weight <= 0)
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "A weight must be positive and finite.");

        var client = ClientFor(clientId);
        client.Receive(sliceIndex, SliceCount);
        if (client.Norm is { } norm)
        {
            Pass(clientId, sliceIndex, delta, weight, NormBounding.ScaleFor(norm, bound));
            client.Forwarded = true;
            return;
        }
        client.Buffer(sliceIndex, delta, weight, parameterCount, sliceElements, SliceCount);
        if (client.Buffered == SliceCount) Release(clientId, client, NormBounding.L2Norm(client.Values!));
    }

    /// <summary>Supplies a client's norm (measured or verified by the caller); buffered slices are released with it at once.</summary>
    public void SetClientNorm(string clientId, double norm)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (!(norm >= 0) || !double.IsFinite(norm))
            throw new ArgumentOutOfRangeException(nameof(norm), norm, "A norm must be finite and at least 0.");
        var client = ClientFor(clientId);
        if (client.Forwarded) return; // the first norm that took effect is final
        client.Norm = norm;
        if (client.Buffered > 0) Release(clientId, client, norm);
    }

    /// <summary>
    /// Takes back slice <paramref name="sliceIndex"/> of <paramref name="clientId"/> (the values and weight it was taken with):
    /// dropped from the buffer if it is still there, otherwise scaled exactly as it was passed on and handed to
    /// <paramref name="retract"/>, which must undo what the sink did. A client with nothing left is forgotten, norm included.
    /// </summary>
    /// <exception cref="ArgumentException">That slice of that client was not taken.</exception>
    public void Retract(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight, ScaledSliceSink retract)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(retract);
        if ((uint)sliceIndex >= (uint)SliceCount || !_clients.TryGetValue(clientId, out var client) || !client.HasReceived(sliceIndex))
            throw new ArgumentException($"Slice {sliceIndex} of client '{clientId}' was not taken; there is nothing to take back.", nameof(sliceIndex));
        if (client.Has?[sliceIndex] == true)
            client.Unbuffer(sliceIndex);
        else
        {
            var scale = NormBounding.ScaleFor(client.Norm!.Value, bound);
            if (scale >= 1) retract(clientId, sliceIndex, delta, weight);
            else
            {
                var scaled = (_scratch ??= new float[sliceElements]).AsSpan(0, delta.Length);
                TensorPrimitives.Multiply(delta, (float)scale, scaled);
                retract(clientId, sliceIndex, scaled, weight);
            }
        }
        client.Unreceive(sliceIndex);
        if (client.Slices == 0) _clients.Remove(clientId);
    }

    /// <summary>Releases every client still buffered, scaled by the norm of what it delivered, in ordinal order of ids.</summary>
    public void ReleaseAll()
    {
        var waiting = new List<string>();
        foreach (var (id, client) in _clients)
            if (client.Buffered > 0) waiting.Add(id);
        waiting.Sort(StringComparer.Ordinal);
        foreach (var id in waiting)
        {
            var client = _clients[id];
            Release(id, client, NormBounding.L2Norm(client.Values!));
        }
    }

    /// <summary>The norm each client's update was scaled for, for clients that delivered at least one slice (after <see cref="ReleaseAll"/>: all of them).</summary>
    public IEnumerable<double> DeliveredNorms()
    {
        foreach (var client in _clients.Values)
            if (client.Slices > 0 && client.Norm is { } norm) yield return norm;
    }

    private Client ClientFor(string clientId)
    {
        if (!_clients.TryGetValue(clientId, out var client)) _clients[clientId] = client = new Client();
        return client;
    }

    // Passes on every buffered slice, scaled for `norm`, and frees the buffer; later slices go straight through.
    private void Release(string clientId, Client client, double norm)
    {
        client.Norm = norm;
        var scale = NormBounding.ScaleFor(norm, bound);
        for (var s = 0; s < SliceCount; s++)
            if (client.Has![s])
                Pass(clientId, s, client.Values.AsSpan(s * sliceElements, SliceLength(s)), client.Weights![s], scale);
        client.Forwarded = true;
        client.ClearBuffer();
    }

    private void Pass(string clientId, int sliceIndex, ReadOnlySpan<float> delta, double weight, double scale)
    {
        if (scale >= 1)
        {
            sink(clientId, sliceIndex, delta, weight);
            return;
        }
        var scaled = (_scratch ??= new float[sliceElements]).AsSpan(0, delta.Length);
        TensorPrimitives.Multiply(delta, (float)scale, scaled);
        sink(clientId, sliceIndex, scaled, weight);
    }

    private sealed class Client
    {
        private bool[]? _received;

        public double? Norm { get; set; }
        public bool Forwarded { get; set; }
        public int Slices { get; private set; }
        public int Buffered { get; private set; }
        public float[]? Values { get; private set; }
        public bool[]? Has { get; private set; }
        public double[]? Weights { get; private set; }

        public void Receive(int sliceIndex, int sliceCount)
        {
            _received ??= new bool[sliceCount];
            if (_received[sliceIndex])
                throw new ArgumentException($"Slice {sliceIndex} of this client was already folded; duplicates must be dropped before folding.", nameof(sliceIndex));
            _received[sliceIndex] = true;
            Slices++;
        }

        public bool HasReceived(int sliceIndex) => _received is not null && _received[sliceIndex];

        public void Unreceive(int sliceIndex)
        {
            _received![sliceIndex] = false;
            Slices--;
        }

        public void Unbuffer(int sliceIndex)
        {
            Has![sliceIndex] = false;
            if (--Buffered == 0) ClearBuffer();
        }

        public void Buffer(int sliceIndex, ReadOnlySpan<float> delta, double weight, int parameterCount, int sliceElements, int sliceCount)
        {
            Values ??= new float[parameterCount];
            Has ??= new bool[sliceCount];
            Weights ??= new double[sliceCount];
            delta.CopyTo(Values.AsSpan(sliceIndex * sliceElements));
            Has[sliceIndex] = true;
            Weights[sliceIndex] = weight;
            Buffered++;
        }

        public void ClearBuffer()
        {
            Values = null;
            Has = null;
            Weights = null;
            Buffered = 0;
        }
    }
}
