using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Diffusion.Net.Mnist.Models;

// The CS180 Part B building blocks (spec §3.1). Field names are the state-dict names of the PyTorch reference
// (tools/pytorch_reference/cs180_unets.py), so checkpoints load in Python and back.

/// <summary>A convolution (plain or transposed) → BatchNorm2d → GELU: the shape shared by blocks (1), (2), (3) and (5).</summary>
internal abstract class ConvNormGelu : Module<Tensor, Tensor>
{
    private protected readonly Module<Tensor, Tensor> conv;
    private protected readonly BatchNorm2d norm;

    private protected ConvNormGelu(string name, Module<Tensor, Tensor> convolution, long outChannels) : base(name)
    {
        conv = convolution;
        norm = BatchNorm2d(outChannels);
        RegisterComponents();
    }

    /// <summary>Whether this block runs NHWC (set for the whole network by <see cref="UNetBackbone.ChannelsLast"/>).</summary>
    internal bool ChannelsLast { get; set; } = true;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        // Intermediates are disposed as soon as they are used (autograd keeps what backward needs), so a forward
        // pass reuses a few activation buffers instead of holding every one until the caller's scope ends.
        var input = ChannelsLast ? NhwcLayout.To(x) : x;
        using var convolved = conv.forward(input);
        if (!ReferenceEquals(input, x)) input.Dispose();
        using var normalised = norm.forward(convolved);
        return NhwcLayout.Gelu(normalised);
    }
}

/// <summary>(1) Conv: Conv2d(k=3, s=1, p=1) → BatchNorm2d → GELU; H×W unchanged.</summary>
internal sealed class Conv(long inChannels, long outChannels)
    : ConvNormGelu(nameof(Conv), Conv2d(inChannels, outChannels, 3, stride: 1, padding: 1), outChannels);

/// <summary>(2) DownConv: Conv2d(k=3, s=2, p=1) → BatchNorm2d → GELU; H, W halved.</summary>
internal sealed class DownConv(long inChannels, long outChannels)
    : ConvNormGelu(nameof(DownConv), Conv2d(inChannels, outChannels, 3, stride: 2, padding: 1), outChannels);

/// <summary>(3) UpConv: ConvTranspose2d(k=4, s=2, p=1) → BatchNorm2d → GELU; H, W doubled.</summary>
internal sealed class UpConv(long inChannels, long outChannels)
    : ConvNormGelu(nameof(UpConv), ConvTranspose2d(inChannels, outChannels, 4, stride: 2, padding: 1), outChannels);

/// <summary>(4) Flatten: AvgPool2d(7) → GELU (no convolution, no normalisation): D×7×7 → D×1×1.</summary>
internal sealed class Flatten : Module<Tensor, Tensor>
{
    /// <summary>Creates the block.</summary>
    public Flatten() : base(nameof(Flatten)) { }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var pooled = functional.avg_pool2d(x, 7);
        return functional.gelu(pooled);
    }
}

/// <summary>(5) Unflatten: ConvTranspose2d(k=7, s=7, p=0) → BatchNorm2d → GELU: D×1×1 → D×7×7.</summary>
internal sealed class Unflatten(long channels)
    : ConvNormGelu(nameof(Unflatten), ConvTranspose2d(channels, channels, 7, stride: 7, padding: 0), channels);

/// <summary>(7) ConvBlock: Conv(in → out) → Conv(out → out).</summary>
internal sealed class ConvBlock : Module<Tensor, Tensor>
{
    private readonly Conv conv1;
    private readonly Conv conv2;

    /// <summary>Creates the block.</summary>
    public ConvBlock(long inChannels, long outChannels) : base(nameof(ConvBlock))
    {
        conv1 = new Conv(inChannels, outChannels);
        conv2 = new Conv(outChannels, outChannels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var first = conv1.forward(x);
        return conv2.forward(first);
    }
}

/// <summary>(8) DownBlock: DownConv(in → out) → ConvBlock(out → out).</summary>
internal sealed class DownBlock : Module<Tensor, Tensor>
{
    private readonly DownConv down;
    private readonly ConvBlock block;

    /// <summary>Creates the block.</summary>
    public DownBlock(long inChannels, long outChannels) : base(nameof(DownBlock))
    {
        down = new DownConv(inChannels, outChannels);
        block = new ConvBlock(outChannels, outChannels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var downsampled = down.forward(x);
        return block.forward(downsampled);
    }
}

/// <summary>(9) UpBlock: UpConv(in → out) → ConvBlock(out → out).</summary>
internal sealed class UpBlock : Module<Tensor, Tensor>
{
    private readonly UpConv up;
    private readonly ConvBlock block;

    /// <summary>Creates the block.</summary>
    public UpBlock(long inChannels, long outChannels) : base(nameof(UpBlock))
    {
        up = new UpConv(inChannels, outChannels);
        block = new ConvBlock(outChannels, outChannels);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var upsampled = up.forward(x);
        return block.forward(upsampled);
    }
}

/// <summary>(10) FCBlock: Linear(F_in → F_out) → GELU → Linear(F_out → F_out) (no final activation).</summary>
internal sealed class FCBlock : Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <summary>Creates the block.</summary>
    public FCBlock(long inFeatures, long outFeatures) : base(nameof(FCBlock))
    {
        fc1 = Linear(inFeatures, outFeatures);
        fc2 = Linear(outFeatures, outFeatures);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var hidden = fc1.forward(x);
        using var activated = functional.gelu(hidden);
        return fc2.forward(activated);
    }
}
