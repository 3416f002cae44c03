using System.Globalization;
using FlMicroservices.Contracts.Wire;

namespace FlMicroservices.Core.Compression;

/// <summary>A task's update compression, parsed from its text: "none", "q8", "q4", "topk:FRACTION" or "zstd", and "q8+zstd", "q4+zstd", "topk:FRACTION+zstd".</summary>
/// <param name="Encoding">The encoding every slice of an update takes (a zstd one may fall back to its coding alone when zstd does not shrink it).</param>
/// <param name="TopKFraction">The share of each slice's elements top-k sends; 0 for the other codings.</param>
public sealed record CompressionSpec(SliceEncoding Encoding, double TopKFraction = 0)
{
    public const string NoneText = "none";

    public static CompressionSpec None { get; } = new(SliceEncoding.None);

    /// <summary>The value coding without zstd.</summary>
    public SliceEncoding Coding => Encoding & ~SliceEncoding.ZstdFlag;

    public bool Zstd => (Encoding & SliceEncoding.ZstdFlag) != 0;

    public bool IsNone => Encoding == SliceEncoding.None;

    /// <summary>True for top-k, whose unsent elements the client keeps as error feedback.</summary>
    public bool IsSparse => Coding == SliceEncoding.TopK;

    /// <summary>True when the aggregation decodes something other than what the client computed (quantisation, top-k); zstd alone is lossless.</summary>
    public bool IsLossy => Coding != SliceEncoding.None;

    /// <summary>Parses <paramref name="text"/> (null or empty: none).</summary>
    /// <exception cref="ArgumentException">The text names no compression, or top-k's fraction is not in (0, 1]; the message quotes it.</exception>
    public static CompressionSpec Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return None;
        var parts = text.Trim().ToLowerInvariant().Split('+');
        var zstd = parts.Length == 2 && parts[1] == "zstd";
        if (parts.Length > 2 || parts.Length == 2 && (!zstd || parts[0] is "zstd" or NoneText)) throw Unknown(text);
        var coding = parts[0] switch
        {
            NoneText => SliceEncoding.None,
            "q8" => SliceEncoding.Q8,
            "q4" => SliceEncoding.Q4,
            "zstd" => SliceEncoding.Zstd,
            var topk when topk.StartsWith("topk", StringComparison.Ordinal) => SliceEncoding.TopK,
            _ => throw Unknown(text),
        };
        var fraction = coding == SliceEncoding.TopK ? Fraction(parts[0], text) : 0;
        return new CompressionSpec(zstd ? coding | SliceEncoding.ZstdFlag : coding, fraction);
    }

    /// <summary>The canonical text, which <see cref="Parse"/> reads back.</summary>
    public override string ToString()
    {
        var coding = Coding switch
        {
            SliceEncoding.None => Zstd ? "zstd" : NoneText,
            SliceEncoding.Q8 => "q8",
            SliceEncoding.Q4 => "q4",
            _ => "topk:" + TopKFraction.ToString("R", CultureInfo.InvariantCulture),
        };
        return Zstd && Coding != SliceEncoding.None ? coding + "+zstd" : coding;
    }

    /// <summary>
    /// The payload bytes an update of <paramref name="elements"/> values takes in slices of <paramref name="sliceElements"/>:
    /// exact for the codings, float32 (an upper bound) where zstd's gain depends on the data.
    /// </summary>
    public long PayloadBytes(int elements, int sliceElements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elements);
        ArgumentOutOfRangeException.ThrowIfLessThan(sliceElements, 1);
        long total = 0;
        for (var start = 0; start < elements; start += sliceElements)
        {
            var n = Math.Min(sliceElements, elements - start);
            total += Coding switch
            {
                SliceEncoding.Q8 => new StochasticQuantizer(8).EncodedLength(n),
                SliceEncoding.Q4 => new StochasticQuantizer(4).EncodedLength(n),
                SliceEncoding.TopK => TopKSparsifier.EncodedLength(new TopKSparsifier(TopKFraction).KeptOf(n)),
                _ => n * 4L,
            };
        }
        return total;
    }

    /// <summary>True when a slice may arrive in <paramref name="encoding"/> under this compression (a zstd one also without zstd).</summary>
    public bool Admits(SliceEncoding encoding) => encoding == Encoding || Zstd && encoding == Coding;

    private static double Fraction(string part, string text)
    {
        var colon = part.IndexOf(':', StringComparison.Ordinal);
        if (part[..(colon < 0 ? part.Length : colon)] != "topk") throw Unknown(text);
        if (colon < 0 || !double.TryParse(part[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction))
            throw new ArgumentException($"Compression '{text}': top-k takes the share of elements sent, e.g. topk:0.01.", nameof(text));
        if (!(fraction > 0 && fraction <= 1))
            throw new ArgumentException(FormattableString.Invariant($"Compression '{text}': the top-k fraction {fraction} must be in (0, 1]."), nameof(text));
        return fraction;
    }

    private static ArgumentException Unknown(string text) =>
        new($"Compression '{text}' is not one of none, q8, q4, topk:FRACTION, zstd, q8+zstd, q4+zstd, topk:FRACTION+zstd.", nameof(text));
}
