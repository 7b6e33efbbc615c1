using DDist.Reporting;
using DDist.Torch;

namespace DDist.Tests.Reporting;

public class PngEncoderTests
{
    [Theory]
    [InlineData(1, 7, 5)]
    [InlineData(3, 13, 4)]
    [InlineData(3, 1, 1)]
    [InlineData(1, 300, 2)]
    public void DecodesToTheSamePixels(int channels, int width, int height)
    {
        var rng = new Random(width * 31 + height);
        var pixels = new byte[width * height * channels];
        rng.NextBytes(pixels);
        var png = PngEncoder.Encode(pixels, width, height, channels);
        var (decoded, h, w) = ImageCodec.Decode(png, channels);
        Assert.Equal((height, width), (h, w));
        Assert.Equal(pixels, decoded);
    }

    [Fact]
    public void Crc32MatchesTheStandardCheckValue()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(Crc32.Compute("123456789"u8), Crc32.Append(Crc32.Compute("1234"u8), "56789"u8));
    }

    [Fact]
    public void RejectsWrongSizesAndChannelCounts()
    {
        Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new byte[5], 2, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngEncoder.Encode(new byte[8], 2, 2, 2));
    }
}
