using System.Buffers.Binary;
using System.IO.Compression;
using Diffusion.Net.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Bmp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>Images of every supported format: mutations and truncations of valid files, and the bombs of issue 20 #2, #3, #5, #11, #13.</summary>
internal static class ImageCases
{
    private const string Target = "ImageIO.Load";

    private static readonly (string Name, IImageEncoder Encoder, bool Animated)[] Formats =
    [
        ("png", new PngEncoder(), false), ("jpg", new JpegEncoder { Quality = 80 }, false), ("gif", new GifEncoder(), true),
        ("bmp", new BmpEncoder { BitsPerPixel = BmpBitsPerPixel.Pixel24 }, false), ("tga", new TgaEncoder { Compression = TgaCompression.RunLength }, false),
        ("tif", new TiffEncoder(), false), ("webp", new WebpEncoder { FileFormat = WebpFileFormatType.Lossless }, false), ("ppm", new PbmEncoder { ColorType = PbmColorType.Rgb, Encoding = PbmEncoding.Binary }, false),
    ];

    private static readonly Dictionary<string, Lazy<byte[]>> Seeds = Formats.ToDictionary(f => f.Name, f => new Lazy<byte[]>(() => Encode(f.Encoder, f.Animated)));

    public static IEnumerable<HostileCase> Create()
    {
        foreach (var (name, _, _) in Formats)
        {
            var format = name;
            for (int i = 0; i < 45; i++)
            {
                int n = i;
                yield return new($"image-{format}-bytes-{n:D2}", Target, Expectation.AcceptOrReject, dir => Load(Files.Write(dir, "m." + format, Mutator.Mutate(Seeds[format].Value, n))));
            }
            foreach (var fraction in new[] { 0.2, 0.4, 0.6, 0.8, 0.95 })
            {
                // Issue 20 #13: truncated files must be refused, not zero-padded.
                yield return new($"D13-truncated-{format}-{fraction:0.00}", Target, Expectation.Reject,
                    dir => Load(Files.Write(dir, "t." + format, Mutator.Truncate(Seeds[format].Value, fraction))), nameof(InvalidImageException));
            }
            yield return new($"image-{format}-valid-seed", Target, Expectation.Accept, dir => Load(Files.Write(dir, "v." + format, Seeds[format].Value)));
        }
        yield return new("D13-truncated-jpeg-89-bytes", Target, Expectation.Reject, dir => Load(Files.Write(dir, "t.jpg", Seeds["jpg"].Value[..89])), nameof(InvalidImageException));
        foreach (int frames in new[] { 2, 10, 500 })
        {
            int f = frames;
            yield return new($"D02-gif-frame-bomb-{f}", Target, Expectation.Reject, dir => Load(Files.Write(dir, "bomb.gif", GifFrameBomb(8000, 8000, f))), nameof(InvalidImageException), ["frames"]);
        }
        yield return new("D02-gif-many-frames", Target, Expectation.Reject, dir => Load(Files.Write(dir, "bomb.gif", GifFrameBomb(4, 4, 5000))), nameof(InvalidImageException), ["frames"]);
        yield return new("D03-png-ztxt-bomb", Target, Expectation.Accept, dir => Load(Files.Write(dir, "bomb.png", PngWithText(256 << 20))));
        yield return new("D05-jpeg-scan-bomb", Target, Expectation.Reject, dir => Load(Files.Write(dir, "bomb.jpg", ProgressiveScanBomb(4000, 4000, 20_000))), nameof(InvalidImageException), ["pixel passes"]);
        yield return new("D05-jpeg-scan-bomb-small", Target, Expectation.Reject, dir => Load(Files.Write(dir, "bomb.jpg", ProgressiveScanBomb(4000, 4000, 200))), nameof(InvalidImageException), ["pixel passes"]);
        yield return new("D11-image-dev-zero", Target, Expectation.Reject, dir => Load(Files.Link(dir, "zero.png", "/dev/zero")), nameof(InvalidImageException));
        yield return new("D11-image-fifo", Target, Expectation.Reject, dir => Load(Files.Fifo(dir, "pipe.png")), nameof(InvalidImageException));
        yield return new("D11-image-symlink-to-fifo", Target, Expectation.Reject, dir => Load(Files.Link(dir, "link.png", Files.Fifo(dir, "pipe"))), nameof(InvalidImageException));
        yield return new("image-empty", Target, Expectation.Reject, dir => Load(Files.Write(dir, "e.png", [])), nameof(InvalidImageException));
        yield return new("image-huge-canvas-header", Target, Expectation.Reject, dir => Load(Files.Write(dir, "h.gif", GifFrameBomb(65535, 65535, 1))), nameof(InvalidImageException));
    }

    private static Image<Rgb24> Load(string path) => ImageIO.Load(path);

    private static byte[] Encode(IImageEncoder encoder, bool animated)
    {
        using var image = new Image<Rgb24>(16, 12);
        for (int y = 0; y < 12; y++)
            for (int x = 0; x < 16; x++)
                image[x, y] = new Rgb24((byte)(x * 16), (byte)(y * 20), (byte)((x + y) * 8));
        if (animated)
        {
            using var second = image.Clone();
            second[0, 0] = new Rgb24(255, 0, 0);
            image.Frames.AddFrame(second.Frames.RootFrame);
        }
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }

    /// <summary>A GIF with a <paramref name="width"/> × <paramref name="height"/> canvas and <paramref name="frames"/> 1×1 frames.</summary>
    internal static byte[] GifFrameBomb(int width, int height, int frames)
    {
        var s = new MemoryStream();
        s.Write("GIF89a"u8);
        Span<byte> u16 = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(u16, (ushort)width); s.Write(u16);
        BinaryPrimitives.WriteUInt16LittleEndian(u16, (ushort)height); s.Write(u16);
        s.Write([0x80, 0, 0, 0, 0, 0, 255, 255, 255]); // 2-colour global table
        for (int i = 0; i < frames; i++)
            s.Write([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00]); // 1×1 frame, LZW code size 2
        s.WriteByte(0x3B);
        return s.ToArray();
    }

    /// <summary>A valid 16×12 PNG with a zTXt chunk that inflates to <paramref name="inflatedBytes"/>.</summary>
    internal static byte[] PngWithText(int inflatedBytes)
    {
        var png = Seeds["png"].Value;
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int done = 0; done < inflatedBytes; done += zeros.Length) z.Write(zeros, 0, Math.Min(zeros.Length, inflatedBytes - done));
        }
        var body = new MemoryStream();
        body.Write("zTXt"u8);
        body.Write("Comment\0\0"u8);
        body.Write(compressed.ToArray());
        var chunk = body.ToArray();
        var result = new MemoryStream();
        result.Write(png, 0, 33); // signature + IHDR
        Span<byte> u32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(u32, (uint)(chunk.Length - 4)); result.Write(u32);
        result.Write(chunk);
        BinaryPrimitives.WriteUInt32BigEndian(u32, Crc(chunk)); result.Write(u32);
        result.Write(png, 33, png.Length - 33);
        return result.ToArray();
    }

    /// <summary>A progressive JPEG header for a large image followed by thousands of one-byte scans.</summary>
    internal static byte[] ProgressiveScanBomb(int width, int height, int scans)
    {
        var s = new MemoryStream();
        s.Write([0xFF, 0xD8]);
        s.Write([0xFF, 0xDB, 0x00, 0x43, 0x00]); s.Write(Enumerable.Repeat((byte)1, 64).ToArray()); // DQT
        s.Write([0xFF, 0xC2, 0x00, 0x0B, 0x08, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 0x01, 0x01, 0x11, 0x00]); // SOF2, 1 component
        s.Write([0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01]); s.Write(new byte[15]); s.Write([0x00]); // DHT: one DC code
        for (int i = 0; i < scans; i++) s.Write([0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]); // SOS (DC first) + 1 byte
        s.Write([0xFF, 0xD9]);
        return s.ToArray();
    }

    private static uint Crc(ReadOnlySpan<byte> bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return c ^ 0xFFFFFFFF;
    }
}
