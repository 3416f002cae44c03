using System.Security.Cryptography;

namespace FlMicroservices.Core.Privacy.SecAgg;

/// <summary>One Shamir share: the evaluations at <see cref="X"/> of the polynomials of every chunk of a secret.</summary>
/// <param name="X">The nonzero evaluation point (in the protocol, the holder's client id + 1).</param>
/// <param name="Values">One field element per chunk of the secret.</param>
public sealed record ShamirShare(ulong X, Field127[] Values);

/// <summary>What <see cref="ShamirSecretSharing.Decode"/> recovered.</summary>
/// <param name="Secret">The constant terms, one per chunk; null when decoding failed.</param>
/// <param name="InconsistentShares">Indices (into the input list) of shares that are not on the decoded polynomials.</param>
public sealed record ShamirDecoding(Field127[]? Secret, IReadOnlyList<int> InconsistentShares)
{
    public bool Succeeded => Secret is not null;
}

/// <summary>
/// Shamir secret sharing (Shamir 1979) over <see cref="Field127"/>, with error detection and correction of dealt shares.
/// </summary>
/// <remarks>Design notes: docs/secure-aggregation.md, "Library notes: ShamirSecretSharing".</remarks>
public static class ShamirSecretSharing
{
    /// <summary>Bytes of secret per field element: 15, so a chunk is below 2^120 &lt; p.</summary>
    public const int ChunkBytes = 15;

    /// <summary>Field elements needed for a secret of <paramref name="secretLength"/> bytes.</summary>
    public static int ChunkCount(int secretLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(secretLength);
        return (secretLength + ChunkBytes - 1) / ChunkBytes;
    }

    /// <summary>The chunks of <paramref name="secret"/> as field elements.</summary>
    public static Field127[] ToElements(ReadOnlySpan<byte> secret)
    {
        var elements = new Field127[ChunkCount(secret.Length)];
        Span<byte> buffer = stackalloc byte[Field127.ByteCount];
        for (var i = 0; i < elements.Length; i++)
        {
            buffer.Clear();
            var chunk = secret.Slice(i * ChunkBytes, Math.Min(ChunkBytes, secret.Length - i * ChunkBytes));
            chunk.CopyTo(buffer);
            Field127.TryRead(buffer, out elements[i]); // < 2^120: always canonical
        }
        return elements;
    }

    /// <summary>
    /// The byte string whose chunks are <paramref name="elements"/>; false when an element does not fit its chunk
    /// (which is what an interpolation from too few or inconsistent shares almost always gives).
    /// </summary>
    public static bool TryToBytes(ReadOnlySpan<Field127> elements, int secretLength, out byte[] secret)
    {
        secret = [];
        if (secretLength <= 0 || elements.Length != ChunkCount(secretLength)) return false;
        var result = new byte[secretLength];
        Span<byte> buffer = stackalloc byte[Field127.ByteCount];
        for (var i = 0; i < elements.Length; i++)
        {
            var length = Math.Min(ChunkBytes, secretLength - i * ChunkBytes);
            elements[i].WriteTo(buffer);
            if (buffer[length..].ContainsAnyExcept((byte)0)) return false;
            buffer[..length].CopyTo(result.AsSpan(i * ChunkBytes));
        }
        secret = result;
        return true;
    }

    /// <summary>Shares <paramref name="secret"/> among the points <paramref name="points"/> with threshold <paramref name="threshold"/>.</summary>
    /// <exception cref="ArgumentException">The points are not distinct and nonzero, or the threshold is not in [1, points].</exception>
    public static ShamirShare[] Split(ReadOnlySpan<byte> secret, int threshold, ReadOnlySpan<ulong> points, RandomNumberGenerator random) =>
        Split(ToElements(secret), threshold, points, random);

    /// <summary>Shares each element of <paramref name="secret"/> on its own random polynomial of degree <paramref name="threshold"/> − 1.</summary>
    public static ShamirShare[] Split(ReadOnlySpan<Field127> secret, int threshold, ReadOnlySpan<ulong> points, RandomNumberGenerator random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (secret.Length == 0) throw new ArgumentException("The secret has no elements.", nameof(secret));
        ValidatePoints(points);
        if (threshold < 1 || threshold > points.Length)
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"The threshold must be between 1 and the {points.Length} share holders.");

        var shares = new ShamirShare[points.Length];
        var xs = new Field127[points.Length];
        for (var j = 0; j < points.Length; j++)
        {
            shares[j] = new ShamirShare(points[j], new Field127[secret.Length]);
            xs[j] = Field127.FromUInt64(points[j]);
        }

        var coefficients = new Field127[threshold];
        for (var c = 0; c < secret.Length; c++)
        {
            coefficients[0] = secret[c];
            for (var i = 1; i < threshold; i++) coefficients[i] = Field127.Random(random);
            for (var j = 0; j < points.Length; j++) shares[j].Values[c] = Evaluate(coefficients, xs[j]);
        }
        Array.Clear(coefficients);
        return shares;
    }

    /// <summary>
    /// Interpolates, through all of <paramref name="shares"/>, the polynomial of every chunk and evaluates it at
    /// <paramref name="at"/> (0 gives the secret). Uses every share given: pass exactly t consistent shares.
    /// </summary>
    public static Field127[] Interpolate(IReadOnlyList<ShamirShare> shares, ulong at = 0)
    {
        ArgumentNullException.ThrowIfNull(shares);
        if (shares.Count == 0) throw new ArgumentException("At least one share is needed.", nameof(shares));
        var chunks = shares[0].Values.Length;
        var points = new ulong[shares.Count];
        for (var i = 0; i < shares.Count; i++)
        {
            if (shares[i].Values.Length != chunks) throw new ArgumentException("The shares have different numbers of chunks.", nameof(shares));
            points[i] = shares[i].X;
        }
        ValidatePoints(points);
        var weights = new LagrangeBasis(ToField(points)).WeightsAt(Field127.FromUInt64(at));
        var result = new Field127[chunks];
        for (var c = 0; c < chunks; c++)
        {
            var sum = Field127.Zero;
            for (var i = 0; i < shares.Count; i++) sum += weights[i] * shares[i].Values[c];
            result[c] = sum;
        }
        return result;
    }

    /// <summary>
    /// Recovers the secret from <paramref name="shares"/> (m ≥ t of them), detecting shares that are off the dealer's
    /// polynomials and correcting up to ⌊(m − t)/2⌋ of them (see remarks on the class).
    /// </summary>
    /// <returns>A failed decoding when m &lt; t or when the shares cannot be explained by one polynomial per chunk with at
    /// most ⌊(m − t)/2⌋ errors.</returns>
    public static ShamirDecoding Decode(IReadOnlyList<ShamirShare> shares, int threshold)
    {
        ArgumentNullException.ThrowIfNull(shares);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threshold);
        var m = shares.Count;
        if (m < threshold || m == 0) return new ShamirDecoding(null, []);
        var chunks = shares[0].Values.Length;
        var points = new ulong[m];
        for (var i = 0; i < m; i++)
        {
            if (shares[i].Values.Length != chunks) throw new ArgumentException("The shares have different numbers of chunks.", nameof(shares));
            points[i] = shares[i].X;
        }
        ValidatePoints(points);
        var xs = ToField(points);

        // Fast path: interpolate through the first t shares, check the others against that polynomial.
        var basis = new LagrangeBasis(xs.AsSpan(0, threshold).ToArray());
        var secretWeights = basis.WeightsAt(Field127.Zero);
        var checkWeights = new Field127[m - threshold][];
        for (var j = threshold; j < m; j++) checkWeights[j - threshold] = basis.WeightsAt(xs[j]);
        var consistent = true;
        for (var c = 0; c < chunks && consistent; c++)
        {
            for (var j = threshold; j < m && consistent; j++)
            {
                var predicted = Field127.Zero;
                var weights = checkWeights[j - threshold];
                for (var i = 0; i < threshold; i++) predicted += weights[i] * shares[i].Values[c];
                consistent = predicted == shares[j].Values[c];
            }
        }
        if (consistent)
        {
            var secret = new Field127[chunks];
            for (var c = 0; c < chunks; c++)
            {
                var sum = Field127.Zero;
                for (var i = 0; i < threshold; i++) sum += secretWeights[i] * shares[i].Values[c];
                secret[c] = sum;
            }
            return new ShamirDecoding(secret, []);
        }

        // Slow path: Berlekamp–Welch per chunk.
        var maxErrors = (m - threshold) / 2;
        if (maxErrors == 0) return new ShamirDecoding(null, []);
        var decoded = new Field127[chunks];
        var bad = new SortedSet<int>();
        var ys = new Field127[m];
        for (var c = 0; c < chunks; c++)
        {
            for (var j = 0; j < m; j++) ys[j] = shares[j].Values[c];
            var polynomial = BerlekampWelch(xs, ys, threshold, maxErrors);
            if (polynomial is null) return new ShamirDecoding(null, []);
            var errors = 0;
            for (var j = 0; j < m; j++)
            {
                if (Evaluate(polynomial, xs[j]) == ys[j]) continue;
                errors++;
                bad.Add(j);
            }
            if (errors > maxErrors) return new ShamirDecoding(null, []);
            decoded[c] = polynomial[0];
        }
        return new ShamirDecoding(decoded, [.. bad]);
    }

    /// <summary>Horner evaluation of Σ coefficients[i] x^i.</summary>
    public static Field127 Evaluate(ReadOnlySpan<Field127> coefficients, Field127 x)
    {
        var result = Field127.Zero;
        for (var i = coefficients.Length - 1; i >= 0; i--) result = result * x + coefficients[i];
        return result;
    }

    /// <summary>
    /// Lagrange interpolation through fixed nodes x_1..x_t: the weights w_i(z) = Π_{j≠i} (z − x_j)/(x_i − x_j), so that the
    /// interpolating polynomial at z is Σ w_i y_i. The denominators cost O(t²) multiplications and one batched inversion,
    /// once; each evaluation point then costs O(t).
    /// </summary>
    private sealed class LagrangeBasis
    {
        private readonly Field127[] _nodes;
        private readonly Field127[] _inverseDenominators;

        public LagrangeBasis(Field127[] nodes)
        {
            _nodes = nodes;
            var t = nodes.Length;
            _inverseDenominators = new Field127[t];
            for (var i = 0; i < t; i++)
            {
                var product = Field127.One;
                for (var j = 0; j < t; j++)
                {
                    if (j != i) product *= nodes[i] - nodes[j];
                }
                _inverseDenominators[i] = product;
            }
            Field127.InvertAll(_inverseDenominators);
        }

        public Field127[] WeightsAt(Field127 z)
        {
            // Numerators Π_{j≠i} (z − x_j) from prefix and suffix products (no division, so z may equal a node).
            var t = _nodes.Length;
            var prefix = new Field127[t + 1];
            prefix[0] = Field127.One;
            for (var i = 0; i < t; i++) prefix[i + 1] = prefix[i] * (z - _nodes[i]);
            var suffix = Field127.One;
            var weights = new Field127[t];
            for (var i = t - 1; i >= 0; i--)
            {
                weights[i] = prefix[i] * suffix * _inverseDenominators[i];
                suffix *= z - _nodes[i];
            }
            return weights;
        }
    }

    private static Field127[] ToField(ReadOnlySpan<ulong> points)
    {
        var xs = new Field127[points.Length];
        for (var i = 0; i < points.Length; i++) xs[i] = Field127.FromUInt64(points[i]);
        return xs;
    }

    private static void ValidatePoints(ReadOnlySpan<ulong> points)
    {
        if (points.Length == 0) throw new ArgumentException("At least one share holder is needed.", nameof(points));
        var seen = new HashSet<ulong>();
        foreach (var x in points)
        {
            if (x == 0) throw new ArgumentException("The evaluation point 0 would be the secret itself.", nameof(points));
            if (!seen.Add(x)) throw new ArgumentException($"The evaluation point {x} appears twice.", nameof(points));
        }
    }

    /// <summary>
    /// Berlekamp–Welch: finds E (monic, degree e) and Q (degree &lt; t + e) with Q(x_j) = y_j E(x_j) for all j, then P = Q / E.
    /// Any solution of the linear system gives the same P when at most e values are wrong and m ≥ t + 2e.
    /// </summary>
    private static Field127[]? BerlekampWelch(Field127[] xs, Field127[] ys, int threshold, int errors)
    {
        var m = xs.Length;
        var qTerms = threshold + errors;
        var unknowns = qTerms + errors; // q_0..q_{t+e-1}, then ε_0..ε_{e-1}
        var matrix = new Field127[m, unknowns + 1];
        for (var j = 0; j < m; j++)
        {
            var power = Field127.One;
            for (var i = 0; i < qTerms; i++)
            {
                matrix[j, i] = power;
                if (i < errors) matrix[j, qTerms + i] = -(ys[j] * power);
                if (i == errors) matrix[j, unknowns] = ys[j] * power; // y_j x_j^e
                power *= xs[j];
            }
        }

        var solution = SolveAny(matrix, m, unknowns);
        if (solution is null) return null;

        var q = solution.AsSpan(0, qTerms).ToArray();
        var e = new Field127[errors + 1];
        solution.AsSpan(qTerms, errors).CopyTo(e);
        e[errors] = Field127.One;
        return DivideExactly(q, e, threshold);
    }

    /// <summary>Gaussian elimination; free unknowns are set to 0. Null when the system is inconsistent.</summary>
    private static Field127[]? SolveAny(Field127[,] a, int rows, int columns)
    {
        var pivotColumn = new int[rows];
        var rank = 0;
        for (var col = 0; col < columns && rank < rows; col++)
        {
            var pivot = -1;
            for (var r = rank; r < rows; r++)
            {
                if (!a[r, col].IsZero) { pivot = r; break; }
            }
            if (pivot < 0) continue;
            if (pivot != rank)
            {
                for (var k = col; k <= columns; k++) (a[pivot, k], a[rank, k]) = (a[rank, k], a[pivot, k]);
            }
            var inverse = a[rank, col].Inverse();
            for (var k = col; k <= columns; k++) a[rank, k] *= inverse;
            for (var r = 0; r < rows; r++)
            {
                if (r == rank || a[r, col].IsZero) continue;
                var factor = a[r, col];
                for (var k = col; k <= columns; k++) a[r, k] -= factor * a[rank, k];
            }
            pivotColumn[rank++] = col;
        }
        for (var r = rank; r < rows; r++)
        {
            if (!a[r, columns].IsZero) return null;
        }
        var x = new Field127[columns];
        for (var r = 0; r < rank; r++) x[pivotColumn[r]] = a[r, columns];
        return x;
    }

    /// <summary>Q / E when E divides Q and the quotient has fewer than <paramref name="maxTerms"/> terms; otherwise null.</summary>
    private static Field127[]? DivideExactly(Field127[] q, Field127[] e, int maxTerms)
    {
        var remainder = (Field127[])q.Clone();
        var degreeE = e.Length - 1; // e is monic
        var quotientLength = q.Length - degreeE;
        if (quotientLength <= 0) return null;
        var quotient = new Field127[quotientLength];
        for (var i = quotientLength - 1; i >= 0; i--)
        {
            var coefficient = remainder[i + degreeE];
            quotient[i] = coefficient;
            if (coefficient.IsZero) continue;
            for (var k = 0; k <= degreeE; k++) remainder[i + k] -= coefficient * e[k];
        }
        for (var k = 0; k < degreeE; k++)
        {
            if (!remainder[k].IsZero) return null;
        }
        for (var k = maxTerms; k < quotientLength; k++)
        {
            if (!quotient[k].IsZero) return null;
        }
        return quotient.AsSpan(0, Math.Min(maxTerms, quotientLength)).ToArray();
    }
}
