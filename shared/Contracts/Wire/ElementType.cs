namespace FlMicroservices.Contracts.Wire;

/// <summary>How a slice's payload elements are encoded (all little-endian, 4 bytes each).</summary>
public enum ElementType : byte
{
    Float32 = 1,
    /// <summary>Fixed-point values in Z_2^32, used when updates are masked for secure aggregation.</summary>
    UInt32 = 2,
}
