namespace FlMicroservices.Contracts.Wire;

/// <summary>How a slice's payload is compressed (docs/compression.md); a receiver expands it to <see cref="ElementType.Float32"/> elements.</summary>
/// <remarks>The low bits name the value coding, <see cref="ZstdFlag"/> says the coded payload is then zstd-compressed.</remarks>
public enum SliceEncoding : byte
{
    /// <summary>Plain 4-byte elements.</summary>
    None = 0,

    /// <summary>Unbiased stochastic quantisation to 8 bits per element, with a minimum and step per chunk.</summary>
    Q8 = 1,

    /// <summary>Unbiased stochastic quantisation to 4 bits per element, with a minimum and step per chunk.</summary>
    Q4 = 2,

    /// <summary>The k largest-magnitude elements as (u16 index, f32 value) pairs; the others are zero.</summary>
    TopK = 3,

    /// <summary>Plain 4-byte elements, zstd-compressed.</summary>
    Zstd = ZstdFlag,

    Q8Zstd = Q8 | ZstdFlag,
    Q4Zstd = Q4 | ZstdFlag,
    TopKZstd = TopK | ZstdFlag,

    /// <summary>The bit that marks a zstd-compressed payload.</summary>
    ZstdFlag = 0x10,
}
