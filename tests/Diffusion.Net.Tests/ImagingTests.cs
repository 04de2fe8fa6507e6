using Diffusion.Net.Imaging;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using FluentAssertions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

public sealed class ImagingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-img").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string P(string name) => Path.Combine(_dir, name);

    [Theory]
    [InlineData(PixelRange.MinusOneToOne)]
    [InlineData(PixelRange.ZeroToOne)]
    public void PngRoundTrip_ThroughATensor_IsExact_ForEveryByteValue(PixelRange range)
    {
        var pixels = new byte[16 * 16 * 3];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 256);
        for (int v = 0; v < 256; v++) pixels[v] = (byte)v;
        using var image = Image.LoadPixelData<Rgb24>(pixels, 16, 16);
        using var t = ImageIO.ToTensor(image, range);
        ImageIO.SavePng(t, P("rt.png"), range);
        using var back = ImageIO.Load(P("rt.png"));
        var bytes = new byte[pixels.Length];
        back.CopyPixelDataTo(bytes);
        bytes.Should().Equal(pixels);
        using var t2 = ImageIO.ToTensor(back, range);
        TensorAssert.BitIdentical(t2, t);
    }

    [Fact]
    public void TruncatedJpeg_IsRejected_WithAClearException()
    {
        var path = Fixtures.Path("images", "truncated.jpg");
        FluentActions.Invoking(() => ImageIO.Load(path)).Should().Throw<InvalidImageException>()
            .Which.Message.Should().Contain("truncated.jpg");
    }

    [Fact]
    public void JpegCutInHalf_IsRejected_ThoughTheDecoderWouldPadIt()
    {
        var noise = new byte[256 * 256 * 3];
        new Random(1).NextBytes(noise);
        using (var img = Image.LoadPixelData<Rgb24>(noise, 256, 256)) img.SaveAsJpeg(P("full.jpg"));
        var bytes = File.ReadAllBytes(P("full.jpg"));
        File.WriteAllBytes(P("half.jpg"), bytes[..(bytes.Length / 2)]);
        using (ImageIO.Load(P("full.jpg"))) { }
        FluentActions.Invoking(() => ImageIO.Load(P("half.jpg"))).Should().Throw<InvalidImageException>().WithMessage("*truncated*");
    }

    [Fact]
    public void HeaderClaimingAHugeSize_IsRejected_BeforeDecoding()
    {
        // A valid PNG signature and IHDR chunk claiming 100000 × 100000 pixels, then nothing.
        var ihdr = new byte[13];
        WriteBigEndian(ihdr, 0, 100_000);
        WriteBigEndian(ihdr, 4, 100_000);
        ihdr[8] = 8; ihdr[9] = 2;
        using var s = new MemoryStream();
        s.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(s, "IHDR", ihdr);
        WriteChunk(s, "IEND", []);
        File.WriteAllBytes(P("huge.png"), s.ToArray());
        FluentActions.Invoking(() => ImageIO.Load(P("huge.png"))).Should().Throw<InvalidImageException>()
            .WithMessage("*100000×100000*more than the limits*");
    }

    [Fact]
    public void NotAnImage_AndMissingFile_AreRejected()
    {
        File.WriteAllText(P("text.png"), "this is not a picture");
        FluentActions.Invoking(() => ImageIO.Load(P("text.png"))).Should().Throw<InvalidImageException>().WithMessage("*format is not recognised*");
        FluentActions.Invoking(() => ImageIO.Load(P("nope.png"))).Should().Throw<FileNotFoundException>();
        File.WriteAllBytes(P("empty.png"), []);
        FluentActions.Invoking(() => ImageIO.Load(P("empty.png"))).Should().Throw<InvalidImageException>().WithMessage("*empty*");
    }

    [Fact]
    public void LoadTensor_CenterCrop_GivesASquareInMinusOneToOne()
    {
        using var t = ImageIO.LoadTensor(Fixtures.Path("images", "horse.png"), 64, ImageFit.CenterCrop);
        t.shape.Should().Equal(1, 3, 64, 64);
        t.min().item<float>().Should().BeGreaterThanOrEqualTo(-1f);
        t.max().item<float>().Should().BeLessThanOrEqualTo(1f);
    }

    [Fact]
    public void Grid_LaysOutTilesWithLabels_AndGifWrites()
    {
        using var scope = NewDisposeScope();
        var tiles = Enumerable.Range(0, 5).Select(i => full(3, 16, 16, i / 5f)).ToList();
        using var grid = ImageGrid.Create(tiles, 3, new ImageGridOptions { Scale = 2, Labels = ["a", "b", "c", "d", "t=990"], Title = "Title" });
        grid.Width.Should().Be(4 + 3 * (32 + 4));
        ImageGrid.Save(P("grid.png"), tiles, 3, new ImageGridOptions { Labels = ["x"] });
        File.Exists(P("grid.png")).Should().BeTrue();
        AnimatedGif.Save(P("anim.gif"), tiles, options: new ImageGridOptions { Scale = 2 });
        using var gif = Image.Load(P("anim.gif"));
        gif.Frames.Count.Should().Be(5);
    }

    [Fact]
    public void LossPlot_RendersALogScaleCurve()
    {
        var xs = Enumerable.Range(0, 200).Select(i => (double)i).ToArray();
        var ys = xs.Select(x => 0.5 * Math.Exp(-x / 50) + 0.01).ToArray();
        LinePlot.Save(P("loss.png"), [new PlotSeries("loss", xs, ys, new Rgb24(200, 30, 30))], new LinePlotOptions { LogY = true, Title = "loss", XLabel = "step" });
        using var image = Image.Load<Rgb24>(P("loss.png"));
        image.Width.Should().Be(800);
        int red = 0;
        for (int y = 0; y < image.Height; y++) for (int x = 0; x < image.Width; x++) if (image[x, y].R == 200 && image[x, y].G == 30) red++;
        red.Should().BeGreaterThan(200, "the curve is drawn");
    }

    [Fact]
    public void Masks_RectangleIsTheCs180Slice()
    {
        using var m = Masks.Rectangle(64, 64, top: 2, left: 24, height: 18, width: 18);
        m.sum().item<float>().Should().Be(18 * 18);
        m[0, 0, 2, 24].item<float>().Should().Be(1f);
        m[0, 0, 20, 24].item<float>().Should().Be(0f);
        m[0, 0, 2, 42].item<float>().Should().Be(0f);
        FluentActions.Invoking(() => Masks.Rectangle(64, 64, 60, 0, 10, 10)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*leave the 64×64 image*");
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    private static void WriteBigEndian(byte[] b, int offset, int value)
    {
        b[offset] = (byte)(value >> 24); b[offset + 1] = (byte)(value >> 16); b[offset + 2] = (byte)(value >> 8); b[offset + 3] = (byte)value;
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        WriteBigEndian(len, 0, data.Length);
        s.Write(len);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        uint c = Crc32([.. typeBytes, .. data]);
        var cb = new byte[4];
        WriteBigEndian(cb, 0, (int)c);
        s.Write(cb);
    }
}
