namespace DDist.Torch;

/// <summary>Element types DDist uses; the numbers are the shim's dtype codes.</summary>
public enum DType { Float32 = 0, Float64 = 1, Int64 = 2, UInt8 = 3, Bool = 4, Int32 = 5 }

public static class DTypeExtensions
{
    public static int ElementSize(this DType t) => t switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        DType.UInt8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(t)),
    };

    public static bool IsFloatingPoint(this DType t) => t is DType.Float32 or DType.Float64;
}
