using Diffusion.Net.IO;
using Diffusion.Net.Imaging.Formats;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace Diffusion.Net.Imaging;

/// <summary>
/// Loading images as untrusted input and converting between images and tensors. Files are size-checked, their
/// structure is walked and checked against <see cref="ImageLoadOptions"/> before any decoder runs (size, frames,
/// pixels summed over frames, progressive scans), and truncated files of every format (which decoders silently pad)
/// are rejected.
/// </summary>
public static class ImageIO
{
    /// <summary>Loads an image as 8-bit RGB.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidImageException">The file is corrupt, truncated, of an unknown format, not a regular file, or over a budget.</exception>
    public static Image<Rgb24> Load(string path, ImageLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= ImageLoadOptions.Default;
        options.Validate();
        if (!File.Exists(path)) throw new FileNotFoundException($"Image '{path}' does not exist.", path);
        var data = UntrustedFile.ReadAllBytes(path, options.MaxFileBytes, problem => new InvalidImageException(path, problem));
        return Decode(data, path, options);
    }

    /// <summary>Loads an image from bytes (e.g. an upload) as 8-bit RGB; <paramref name="name"/> appears in messages.</summary>
    public static Image<Rgb24> Load(ReadOnlySpan<byte> data, string name = "(memory)", ImageLoadOptions? options = null)
    {
        options ??= ImageLoadOptions.Default;
        options.Validate();
        if (data.Length > options.MaxFileBytes) throw new InvalidImageException(name, $"the data is {data.Length} bytes, more than the limit of {options.MaxFileBytes}");
        return Decode(data.ToArray(), name, options);
    }

    /// <summary>
    /// A structural pass of our own comes first (sizes, frames, scans, truncation, metadata removed), so every budget
    /// holds before ImageSharp 2.1, which has no decoder limits of its own, sees a byte.
    /// </summary>
    private static Image<Rgb24> Decode(byte[] data, string name, ImageLoadOptions options)
    {
        if (data.Length == 0) throw new InvalidImageException(name, "the file is empty");
        IImageFormat? format;
        try { format = Image.DetectFormat(Configuration.Default, data); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidImageException(name, "the format cannot be detected", e);
        }
        if (format is null) throw new InvalidImageException(name, "the format is not recognised (supported: PNG, JPEG, GIF, BMP, TGA, PBM, TIFF, WebP)");
        ImageStructure structure;
        try
        {
            structure = format.Name.ToUpperInvariant() switch
            {
                "PNG" => PngScanner.Scan(data),
                "JPEG" => JpegScanner.Scan(data),
                "GIF" => GifScanner.Scan(data),
                "BMP" => BmpScanner.Scan(data),
                "TGA" => TgaScanner.Scan(data),
                "TIFF" => TiffScanner.Scan(data),
                "WEBP" => WebpScanner.Scan(data),
                "PBM" => PbmScanner.Scan(data),
                _ => throw new ImageStructureException($"the {format.Name} format is not supported"),
            };
        }
        catch (ImageStructureException e)
        {
            throw new InvalidImageException(name, $"{format.Name}: {e.Message}");
        }
        int width = structure.Width, height = structure.Height;
        if (width < 1 || height < 1) throw new InvalidImageException(name, $"the header claims a size of {width}×{height}");
        if (width > options.MaxWidth || height > options.MaxHeight || (long)width * height > options.MaxPixels)
        {
            throw new InvalidImageException(name,
                $"the header claims {width}×{height} pixels, more than the limits ({options.MaxWidth}×{options.MaxHeight}, {options.MaxPixels} pixels)");
        }
        if (structure.Frames > options.MaxFrames) throw new InvalidImageException(name, $"it has {structure.Frames} frames, more than the limit of {options.MaxFrames}");
        if (structure.TotalPixels > options.MaxTotalPixels)
            throw new InvalidImageException(name, $"its {structure.Frames} frames decode to {structure.TotalPixels} pixels, more than the limit of {options.MaxTotalPixels}");
        if (structure.DecodeWork > options.MaxDecodeWork)
            throw new InvalidImageException(name, $"decoding it takes {structure.DecodeWork} pixel passes (pixels × frames or progressive scans), more than the limit of {options.MaxDecodeWork}");

        try
        {
            var info = Image.Identify(Configuration.Default, structure.Data, out _);
            if (info is null || info.Width != width || info.Height != height)
                throw new InvalidImageException(name, "the decoder reads another size from the header than the file's structure shows");
            return Image.Load<Rgb24>(Configuration.Default, structure.Data);
        }
        catch (Exception e) when (e is not (InvalidImageException or OutOfMemoryException))
        {
            // After the structural checks, what ImageSharp still refuses is corrupt entropy-coded data; some of its
            // decoders report that as a NullReference or IndexOutOfRange, which must not reach the caller untyped.
            throw new InvalidImageException(name, $"the image data is corrupt ({e.GetType().Name})", e);
        }
    }

    /// <summary>Resizes (bicubic) an image to size × size by <paramref name="fit"/>, in place.</summary>
    public static void Fit(Image<Rgb24> image, int size, ImageFit fit)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (fit == ImageFit.Stretch)
        {
            image.Mutate(x => x.Resize(size, size, KnownResamplers.Bicubic));
            return;
        }
        if (fit != ImageFit.CenterCrop) throw new ArgumentOutOfRangeException(nameof(fit), fit, "Unknown fit.");
        double scale = (double)size / Math.Min(image.Width, image.Height);
        int w = Math.Max(size, (int)Math.Round(image.Width * scale)), h = Math.Max(size, (int)Math.Round(image.Height * scale));
        image.Mutate(x => x.Resize(w, h, KnownResamplers.Bicubic).Crop(new Rectangle((w - size) / 2, (h - size) / 2, size, size)));
    }

    /// <summary>
    /// Converts an image to a [1, C, H, W] float32 tensor (C = 3 for RGB, 1 for luminance), marked with its range
    /// (<see cref="PixelRanges"/>), so saving it back needs no range.
    /// </summary>
    public static Tensor ToTensor(Image<Rgb24> image, PixelRange range = PixelRange.MinusOneToOne, int channels = 3)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Images convert to 1 or 3 channels.");
        int w = image.Width, h = image.Height;
        var bytes = new byte[w * h * 3];
        image.CopyPixelDataTo(bytes);
        using var scope = NewDisposeScope();
        var hwc = tensor(bytes, [h, w, 3], ScalarType.Byte);
        var x = hwc.permute(2, 0, 1).to(ScalarType.Float32);
        if (channels == 1) x = (x[0] * 0.299f + x[1] * 0.587f + x[2] * 0.114f).unsqueeze(0);
        x = x / 255f;
        if (range == PixelRange.MinusOneToOne) x = x * 2f - 1f;
        return scope.MoveToOuter(x.unsqueeze(0).contiguous()).WithPixelRange(range);
    }

    /// <summary>Loads an image file straight to a [1, C, size, size] tensor: limits, fit, range and channels.</summary>
    public static Tensor LoadTensor(string path, int size, ImageFit fit = ImageFit.Stretch, PixelRange range = PixelRange.MinusOneToOne,
        int channels = 3, ImageLoadOptions? options = null)
    {
        using var image = Load(path, options);
        Fit(image, size, fit);
        return ToTensor(image, range, channels);
    }

    /// <summary>
    /// Converts a [C, H, W] or [1, C, H, W] tensor (C = 1 or 3, any device and float dtype) to an 8-bit RGB image.
    /// Values are clipped to the range, then rounded.
    /// </summary>
    /// <param name="tensor">The image.</param>
    /// <param name="range">
    /// The tensor's pixel range; null takes the range the tensor is marked with (<see cref="PixelRanges"/>: pipeline
    /// samples carry their model's, e.g. [0, 1] for the MNIST UNets), and [−1, 1] for an unmarked tensor.
    /// </param>
    public static Image<Rgb24> ToImage(Tensor tensor, PixelRange? range = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var resolved = PixelRanges.Resolve(tensor, range);
        using var scope = NewDisposeScope();
        var x = tensor.dim() == 4 && tensor.shape[0] == 1 ? tensor[0] : tensor;
        if (x.dim() != 3 || x.shape[0] is not (1 or 3))
            throw new ArgumentException($"Expected [C, H, W] or [1, C, H, W] with C = 1 or 3; got [{string.Join(", ", tensor.shape)}].", nameof(tensor));
        x = x.detach().to(ScalarType.Float32, CPU);
        if (resolved == PixelRange.MinusOneToOne) x = x / 2f + 0.5f;
        x = x.clamp(0f, 1f).mul(255f).round().to(ScalarType.Byte);
        if (x.shape[0] == 1) x = x.expand(3, -1, -1);
        var hwc = x.permute(1, 2, 0).contiguous();
        int h = (int)hwc.shape[0], w = (int)hwc.shape[1];
        return Image.LoadPixelData<Rgb24>(hwc.bytes, w, h);
    }

    /// <summary>Writes a tensor as a PNG, atomically, in <paramref name="range"/> (null: as <see cref="ToImage"/> resolves it).</summary>
    public static void SavePng(Tensor tensor, string path, PixelRange? range = null)
    {
        using var image = ToImage(tensor, range);
        SavePng(image, path);
    }

    /// <summary>Writes an image as a PNG, atomically.</summary>
    public static void SavePng(Image image, string path)
    {
        ArgumentNullException.ThrowIfNull(image);
        AtomicFile.Write(path, s => image.SaveAsPng(s));
    }
}
