using System.Buffers.Binary;
using System.Text;

namespace DDist.Torch.Tests.IO;

/// <summary>Writes .npy bytes by hand, following NumPy's format spec (numpy/lib/format.py): magic \x93NUMPY, version,
/// header length (2 bytes LE in v1, 4 in v2), a Python dict literal padded with spaces and ended by '\n' so that
/// the data starts at a multiple of 64, then the raw array bytes.</summary>
internal static class NpyBuilder
{
    public static byte[] Build(string descr, long[] shape, ReadOnlySpan<byte> data, int version = 1, bool fortranOrder = false)
    {
        var shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        var dict = $"{{'descr': '{descr}', 'fortran_order': {(fortranOrder ? "True" : "False")}, 'shape': {shapeText}, }}";
        int lengthField = version == 1 ? 2 : 4;
        int unpadded = 8 + lengthField + dict.Length + 1;
        int padded = (unpadded + 63) / 64 * 64;
        var header = Encoding.Latin1.GetBytes(dict + new string(' ', padded - unpadded) + "\n");

        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        var length = new byte[lengthField];
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        ms.Write(length);
        ms.Write(header);
        ms.Write(data);
        return ms.ToArray();
    }

    public static byte[] Bytes<T>(params T[] values) where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
