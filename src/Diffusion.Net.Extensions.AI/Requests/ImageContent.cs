using System.Text.Json;
using Diffusion.Net.Imaging;
using Microsoft.Extensions.AI;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace Diffusion.Net.Extensions.AI.Requests;

/// <summary>
/// Original images and masks in, PNGs out. Inputs are untrusted: they go through <see cref="ImageIO"/>'s structural
/// checks and budgets before any decoder runs, and a defect becomes an <see cref="ImageGenerationRequestException"/>
/// naming the request property.
/// </summary>
#pragma warning disable MEAI001 // ImageGenerationRequest is experimental in Microsoft.Extensions.AI.Abstractions 10.x; this package implements that API on purpose.
internal static class ImageContent
{
    public const string PngMediaType = "image/png";

    /// <summary>The request's original images, each checked to be in-memory image data (no URI is ever fetched).</summary>
    public static IReadOnlyList<DataContent> Originals(ImageGenerationRequest request)
    {
        if (request.OriginalImages is null) return [];
        var list = new List<DataContent>();
        int index = 0;
        foreach (var content in request.OriginalImages)
        {
            string property = $"OriginalImages[{index}]";
            list.Add(content switch
            {
                DataContent data when data.HasTopLevelMediaType("image") || data.MediaType == "application/octet-stream" => data,
                DataContent data => throw new ImageGenerationRequestException(property, $"media type '{data.MediaType}' is not an image; send image/png, image/jpeg, … data."),
                UriContent => throw new ImageGenerationRequestException(property, "a URI is not fetched (a server must not download what a request names); send the image bytes as DataContent."),
                null => throw new ImageGenerationRequestException(property, "the entry is null."),
                _ => throw new ImageGenerationRequestException(property, $"{content.GetType().Name} is not image data; send DataContent."),
            });
            index++;
        }
        return list;
    }

    /// <summary>Decodes an image to [1, C, H, W] in <paramref name="range"/>, resized (bicubic, stretched) to width × height.</summary>
    public static Tensor Decode(ReadOnlyMemory<byte> data, string property, int width, int height, PixelRange range, int channels, ImageLoadOptions limits)
    {
        Image<SixLabors.ImageSharp.PixelFormats.Rgb24> image;
        try
        {
            image = ImageIO.Load(data.Span, property, limits);
        }
        catch (InvalidImageException e)
        {
            throw new ImageGenerationRequestException(property, $"{e.Problem}.", e);
        }
        using (image)
        {
            if (image.Width != width || image.Height != height) image.Mutate(x => x.Resize(width, height, KnownResamplers.Bicubic));
            return ImageIO.ToTensor(image, range, channels);
        }
    }

    /// <summary>The mask's encoded bytes from any of the accepted forms, or null when none is given.</summary>
    public static ReadOnlyMemory<byte>? MaskBytes(AdditionalPropertiesDictionary? properties)
    {
        string key = DiffusionImageGeneratorProperties.Mask;
        var value = RequestValues.Raw(properties, key);
        string name = RequestValues.Name(key);
        if (value is null) return null;
        return value switch
        {
            DataContent data when data.HasTopLevelMediaType("image") || data.MediaType == "application/octet-stream" => data.Data,
            DataContent data => throw new ImageGenerationRequestException(name, $"media type '{data.MediaType}' is not an image."),
            byte[] bytes => bytes,
            ReadOnlyMemory<byte> memory => memory,
            string text => FromBase64(text, name),
            JsonElement { ValueKind: JsonValueKind.String } e => FromBase64(e.GetString()!, name),
            _ => throw new ImageGenerationRequestException(name, $"expected an image (DataContent, byte[], or a base64 string / data URI); got {RequestValues.Describe(value)}."),
        };
    }

    /// <summary>A [1, 1, H, W] float mask: 1 where the luminance is ≥ 0.5 (regenerate), else 0.</summary>
    public static Tensor DecodeMask(ReadOnlyMemory<byte> data, int width, int height, ImageLoadOptions limits)
    {
        using var gray = Decode(data, RequestValues.Name(DiffusionImageGeneratorProperties.Mask), width, height, PixelRange.ZeroToOne, 1, limits);
        return gray.ge(0.5).to(ScalarType.Float32);
    }

    /// <summary>Encodes one [C, H, W] image in <paramref name="range"/> as a PNG <see cref="DataContent"/>.</summary>
    public static DataContent Png(Tensor image, PixelRange range, string name)
    {
        using var picture = ImageIO.ToImage(image, range);
        using var stream = new MemoryStream();
        picture.SaveAsPng(stream);
        return new DataContent(stream.ToArray(), PngMediaType) { Name = name };
    }

    /// <summary>The image budgets for uploads of at most <paramref name="maxBytes"/>.</summary>
    public static ImageLoadOptions Limits(long maxBytes) => new()
    {
        MaxFileBytes = maxBytes,
        MaxWidth = 4096,
        MaxHeight = 4096,
        MaxPixels = 16L * 1024 * 1024,
        MaxFrames = 1,
        MaxTotalPixels = 16L * 1024 * 1024,
        MaxDecodeWork = 1L << 28,
    };

    private static ReadOnlyMemory<byte> FromBase64(string text, string name)
    {
        int comma = text.StartsWith("data:", StringComparison.OrdinalIgnoreCase) ? text.IndexOf(',', StringComparison.Ordinal) : -1;
        var payload = comma >= 0 ? text[(comma + 1)..] : text;
        try
        {
            return Convert.FromBase64String(payload);
        }
        catch (FormatException e)
        {
            throw new ImageGenerationRequestException(name, "the string is neither base64 image data nor a data URI.", e);
        }
    }
}
#pragma warning restore MEAI001
