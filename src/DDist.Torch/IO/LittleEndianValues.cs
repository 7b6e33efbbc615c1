using System.Buffers.Binary;

namespace DDist.Torch.IO;

/// <summary>Reading the little-endian element bytes that tensor files store (.npy, torch.save storages).</summary>
internal static class LittleEndianValues
{
    /// <summary>The <paramref name="count"/> elements of <paramref name="dtype"/> in <paramref name="data"/>, as doubles.</summary>
    public static double[] ToDoubles(ReadOnlySpan<byte> data, DType dtype, long count)
    {
        var r = new double[count];
        for (int i = 0; i < r.Length; i++)
            r[i] = dtype switch
            {
                DType.Float32 => BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]),
                DType.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(data[(8 * i)..]),
                DType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(data[(8 * i)..]),
                DType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(data[(4 * i)..]),
                _ => data[i],
            };
        return r;
    }
}
