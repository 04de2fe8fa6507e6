using Diffusion.Net.Imaging;
using static TorchSharp.torch;

namespace Diffusion.Net.Pipelines;

/// <summary>Starts a run from pure Gaussian noise of a given shape, drawn from the run's generator.</summary>
internal sealed class NoiseSourceLink : IPipelineLink
{
    private readonly long[] _shape;

    public NoiseSourceLink(IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count != 4 || shape.Any(d => d < 1))
            throw new ArgumentException($"Noise needs a [B, C, H, W] shape of positive sizes; got [{Guard.Shape(shape)}].", nameof(shape));
        _shape = shape.ToArray();
    }

    public string Description => $"noise [{Guard.Shape(_shape)}]";

    public bool ProducesPureNoise => true;

    public int SamplerSteps(PipelineSettings settings) => 0;

    public long[] ValidateShape(long[]? input, PipelineSettings settings)
        => input is null ? _shape : throw new InvalidOperationException("Pure noise starts a pipeline; it cannot follow another link.");

    public Tensor Execute(Tensor? state, PipelineRunContext context) => context.Noise.Next(_shape, context.DType, context.Device);
}

/// <summary>
/// Starts a run from a given tensor (copied; the caller keeps ownership of the original): an image, or a standard normal
/// draw the caller made (diffusers' <c>latents=</c>), which samplers then treat as pure noise.
/// </summary>
internal sealed class ImageSourceLink : IPipelineLink
{
    private readonly Tensor _image;

    public ImageSourceLink(Tensor image, bool pureNoise = false)
    {
        ProducesPureNoise = pureNoise;
        ArgumentNullException.ThrowIfNull(image);
        if (image.dim() is not (3 or 4)) throw new ArgumentException($"An image must be [B, C, H, W] or [C, H, W]; got [{Guard.Shape(image.shape)}].", nameof(image));
        if (!image.is_floating_point()) throw new ArgumentException($"An image must be floating point; got {image.dtype}.", nameof(image));
        Guard.NonEmpty(image, nameof(image), "image");
        Guard.AllFinite(image, nameof(image), pureNoise ? "starting noise" : "image");
        _image = image;
    }

    public string Description => $"{(ProducesPureNoise ? "noise" : "image")} [{Guard.Shape(_image.shape)}]";

    public bool ProducesPureNoise { get; }

    public int SamplerSteps(PipelineSettings settings) => 0;

    public long[] ValidateShape(long[]? input, PipelineSettings settings)
    {
        if (input is not null) throw new InvalidOperationException("An image source starts a pipeline; it cannot follow another link.");
        return _image.dim() == 4 ? _image.shape : [1, .. _image.shape];
    }

    public Tensor Execute(Tensor? state, PipelineRunContext context)
    {
        if (!ProducesPureNoise && _image.GetPixelRange() is { } range) context.PixelRange = range;
        using var scope = NewDisposeScope();
        var x = _image.dim() == 4 ? _image : _image.unsqueeze(0);
        return scope.MoveToOuter(x.to(context.DType, context.Device, copy: true));
    }
}
