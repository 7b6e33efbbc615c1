using static DDist.Torch.TorchException;

namespace DDist.Torch;

/// <summary>PNG and JPEG decoding through the shim (libpng, libjpeg-turbo).</summary>
public static unsafe class ImageCodec
{
    /// <summary>Decodes to HWC uint8 pixels with 1 (grey) or 3 (RGB) channels.</summary>
    public static (byte[] Pixels, int Height, int Width) Decode(ReadOnlySpan<byte> file, int channels)
    {
        nint pixels;
        long h, w;
        fixed (byte* p = file) Check(Native.dd_image_decode(p, file.Length, channels, out pixels, out h, out w));
        try
        {
            var result = new byte[h * w * channels];
            new ReadOnlySpan<byte>((void*)pixels, result.Length).CopyTo(result);
            return (result, (int)h, (int)w);
        }
        finally { Native.dd_free_buffer(pixels); }
    }
}
