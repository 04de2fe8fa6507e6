using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Diffusion.Net.Mnist.Models;

// The CS180 Part B building blocks (spec §3.1). Field names are the state-dict names of the PyTorch reference
// (tools/pytorch_reference/cs180_unets.py), so checkpoints load in Python and back.

/// <summary>
/// A convolution (plain or transposed) → BatchNorm2d → GELU: the shape shared by blocks (1), (2), (3) and (5).
/// </summary>
/// <remarks>
/// In eval mode BatchNorm is an affine map per channel, so the forward folds it into the convolution (what ONNX
/// Runtime's optimiser does): w′ = w·s, b′ = (b − μ)·s + β with s = γ/√(σ² + ε). The folded weights are computed
/// on every eval forward from the current parameters and running statistics, never cached: loading, optimiser steps,
/// EMA swaps and dtype changes all reach them without any invalidation. That costs one pass over the block's weights
/// (thousands of elements) against one over its activation (millions). Training mode runs conv → BatchNorm → GELU
/// unchanged, so batch statistics and the running-average updates keep PyTorch's semantics; the state dict is the same.
/// </remarks>
internal abstract class ConvNormGelu : Module<Tensor, Tensor>
{
    private protected readonly Module<Tensor, Tensor> conv;
    private protected readonly BatchNorm2d norm;
    private readonly long _stride;
    private readonly long _padding;

    private protected ConvNormGelu(string name, Module<Tensor, Tensor> convolution, long outChannels, long stride, long padding) : base(name)
    {
        conv = convolution;
        norm = BatchNorm2d(outChannels);
        _stride = stride;
        _padding = padding;
        RegisterComponents();
    }

    /// <summary>Whether this block runs NHWC (set for the whole network by <see cref="UNetBackbone.ChannelsLast"/>).</summary>
    internal bool ChannelsLast { get; set; } = true;

    /// <summary>
    /// Whether eval-mode forwards fold BatchNorm into the convolution (on by default); off runs the three operations
    /// as in training, which the parity tests compare against.
    /// </summary>
    internal bool FoldBatchNorm { get; set; } = true;

    /// <summary>True when this forward may fold: eval mode, with running statistics to normalise by.</summary>
    private bool Folds => FoldBatchNorm && !norm.training && norm.running_mean is not null && norm.running_var is not null;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        // Intermediates are disposed as soon as they are used (autograd keeps what backward needs), so a forward
        // pass reuses a few activation buffers instead of holding every one until the caller's scope ends.
        bool folds = Folds;
        var input = ChannelsLast ? NhwcLayout.To(x) : x;
        Tensor convolved;
        try
        {
            convolved = folds ? FoldedConvolution(input) : conv.forward(input);
        }
        finally
        {
            if (!ReferenceEquals(input, x)) input.Dispose();
        }
        if (!folds)
        {
            using (convolved)
            using (var normalised = norm.forward(convolved))
                return NhwcLayout.Gelu(normalised);
        }
        // GELU's backward needs its input, so with autograd it runs out of place. Without, the convolution's output
        // has no other reader and GELU overwrites it: the block then allocates one activation instead of two.
        if (convolved.requires_grad)
        {
            using (convolved) return NhwcLayout.Gelu(convolved);
        }
        return NhwcLayout.GeluInPlace(convolved);
    }

    /// <summary>The convolution with BatchNorm's eval-mode affine map folded into its weight and bias.</summary>
    private Tensor FoldedConvolution(Tensor input)
    {
        var (weight, bias, transposed) = conv switch
        {
            Conv2d c => (c.weight!, c.bias, false),
            ConvTranspose2d t => (t.weight!, t.bias, true),
            _ => throw new InvalidOperationException($"Unexpected convolution {conv.GetType().Name}."),
        };
        using var scope = NewDisposeScope();
        // In float32 whatever the weights' dtype, so that a bfloat16 network rounds the folded weight once.
        var scale = norm.running_var!.to(ScalarType.Float32).add(norm.eps).rsqrt();
        if (norm.weight is { } gamma) scale = scale.mul(gamma.to(ScalarType.Float32));
        var shift = norm.running_mean!.to(ScalarType.Float32).neg();
        if (bias is not null) shift = shift.add(bias.to(ScalarType.Float32));
        shift = shift.mul(scale);
        if (norm.bias is { } beta) shift = shift.add(beta.to(ScalarType.Float32));
        // Output channels are dimension 0 of a Conv2d weight [out, in, k, k] and dimension 1 of a ConvTranspose2d's [in, out, k, k].
        var perChannel = transposed ? scale.view(1, -1, 1, 1) : scale.view(-1, 1, 1, 1);
        var foldedWeight = weight.to(ScalarType.Float32).mul(perChannel).to(weight.dtype);
        var foldedBias = shift.to(weight.dtype);
        long[] stride = [_stride, _stride], padding = [_padding, _padding];
        var output = transposed
            ? functional.conv_transpose2d(input, foldedWeight, foldedBias, stride, padding)
            : functional.conv2d(input, foldedWeight, foldedBias, stride, padding);
        return output.MoveToOuterDisposeScope();
    }
}

/// <summary>(1) Conv: Conv2d(k=3, s=1, p=1) → BatchNorm2d → GELU; H×W unchanged.</summary>
internal sealed class Conv(long inChannels, long outChannels)
    : ConvNormGelu(nameof(Conv), Conv2d(inChannels, outChannels, 3, stride: 1, padding: 1), outChannels, stride: 1, padding: 1);

/// <summary>(2) DownConv: Conv2d(k=3, s=2, p=1) → BatchNorm2d → GELU; H, W halved.</summary>
internal sealed class DownConv(long inChannels, long outChannels)
    : ConvNormGelu(nameof(DownConv), Conv2d(inChannels, outChannels, 3, stride: 2, padding: 1), outChannels, stride: 2, padding: 1);

/// <summary>(3) UpConv: ConvTranspose2d(k=4, s=2, p=1) → BatchNorm2d → GELU; H, W doubled.</summary>
internal sealed class UpConv(long inChannels, long outChannels)
    : ConvNormGelu(nameof(UpConv), ConvTranspose2d(inChannels, outChannels, 4, stride: 2, padding: 1), outChannels, stride: 2, padding: 1);

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
    : ConvNormGelu(nameof(Unflatten), ConvTranspose2d(channels, channels, 7, stride: 7, padding: 0), channels, stride: 7, padding: 0);

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
