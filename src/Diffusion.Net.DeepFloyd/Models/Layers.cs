using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>
/// How a network's parameters are allocated: on which device and in which dtype. Parameters are created empty (no
/// random initialisation), so a full-size model builds instantly on the meta device (no memory) or allocates exactly
/// one copy of its weights on the CPU, to be filled by the loader.
/// </summary>
/// <param name="Device">The device (CPU, CUDA, or meta for shape-only models).</param>
/// <param name="DType">The parameter dtype (float32 or bfloat16 on CPU).</param>
public sealed record WeightAllocation(Device Device, ScalarType DType)
{
    /// <summary>float32 on the CPU.</summary>
    public static WeightAllocation Cpu { get; } = new(CPU, ScalarType.Float32);

    /// <summary>Shapes only, no memory.</summary>
    public static WeightAllocation Meta { get; } = new(META, ScalarType.Float32);

    /// <summary>An uninitialised, non-trainable parameter.</summary>
    public Parameter Create(params long[] shape) => new(empty(shape, DType, Device), requires_grad: false);
}

/// <summary>y = x Wᵀ + b (PyTorch's nn.Linear, names weight/bias).</summary>
internal sealed class LinearLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private readonly long _in, _out;
    private Tensor? _packed;

    /// <summary>Creates the layer.</summary>
    public LinearLayer(long inFeatures, long outFeatures, WeightAllocation allocation, bool hasBias = true) : base(nameof(LinearLayer))
    {
        weight = allocation.Create(outFeatures, inFeatures);
        if (hasBias) bias = allocation.Create(outFeatures);
        _in = inFeatures;
        _out = outFeatures;
        RegisterComponents();
    }

    /// <summary>Whether <see cref="PackWeight"/> replaced the weight.</summary>
    public bool IsPacked => _packed is not null;

    /// <summary>
    /// Replaces the float32 CPU weight by MKL's packed copy of it (<see cref="MklPackedGemm"/>) and releases the
    /// weight's memory: the parameter is left empty, so only forward passes in float32 on the CPU remain.
    /// </summary>
    public void PackWeight()
    {
        if (_packed is not null) return;
        _packed = MklPackedGemm.PackWeight(weight);
        using (no_grad()) weight.set_(empty(0, weight.dtype, weight.device));
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (_packed is null) return nn.functional.linear(x, weight, bias);
        var y = MklPackedGemm.Multiply(x, _packed, _out, _in);
        if (bias is not null) y.add_(bias);
        return y;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _packed?.Dispose();
        _packed = null;
        base.Dispose(disposing);
    }
}

/// <summary>
/// A 2-D convolution (PyTorch's nn.Conv2d, names weight/bias). The weight is stored channels-last (NHWC strides, the
/// shape unchanged): oneDNN then runs its NHWC kernels and its outputs come back channels-last, so the whole network
/// stays in that layout. oneDNN still copies the weight into its blocked layout on every call unless
/// <see cref="PackOnFirstForward"/> has it packed once (<see cref="OneDnnPackedConvolution"/>).
/// </summary>
internal sealed class Conv2dLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter? bias;
    private readonly long _padding;
    private bool _packOnFirstForward;
    private readonly object _packLock = new();
    private Tensor? _packed;
    private ScalarType _packedDType;

    /// <summary>Creates the layer (stride 1).</summary>
    public Conv2dLayer(long inChannels, long outChannels, long kernelSize, long padding, WeightAllocation allocation, bool hasBias = true) : base(nameof(Conv2dLayer))
    {
        long k = kernelSize;
        weight = new Parameter(empty_strided([outChannels, inChannels, k, k], [inChannels * k * k, 1, k * inChannels, inChannels],
            allocation.DType, allocation.Device), requires_grad: false);
        if (hasBias) bias = allocation.Create(outChannels);
        _padding = padding;
        RegisterComponents();
    }

    /// <summary>Whether the weight has been replaced by its packed copy.</summary>
    public bool IsPacked => _packed is not null;

    /// <summary>
    /// Has the next forward pass that records no gradient reorder the weight into oneDNN's layout for that pass's input
    /// shape, replace the weight by the reordered copy (the parameter is left empty) and use it from then on. Packing
    /// needs the input's shape, which only a forward pass knows. Call it before the layer is shared between threads.
    /// </summary>
    public void PackOnFirstForward() => _packOnFirstForward = true;

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        var packed = Volatile.Read(ref _packed);
        if (packed is null && _packOnFirstForward)
        {
            // A model serves concurrent runs: one of them packs, and none reads the weight while it is being released.
            lock (_packLock)
            {
                if (_packed is null)
                {
                    if ((is_grad_enabled() && x.requires_grad) || x.dtype != weight.dtype || x.device_type != TorchSharp.DeviceType.CPU
                        || !OneDnnPackedConvolution.Supports(weight.dtype))
                        return Plain(x);
                    // The pack is made inside the caller's dispose scope but lives as long as the layer.
                    var made = OneDnnPackedConvolution.Pack(weight, _padding, x.shape).DetachFromDisposeScope();
                    _packedDType = weight.dtype;
                    using (no_grad()) weight.set_(empty(0, weight.dtype, weight.device));
                    Volatile.Write(ref _packed, made);
                }
                packed = _packed;
            }
        }
        if (packed is null) return Plain(x);
        if (x.dtype != _packedDType || x.device_type != TorchSharp.DeviceType.CPU)
            throw new InvalidOperationException($"The convolution's weight is packed for {_packedDType} on the CPU; the input is {x.dtype} on {x.device}.");
        return OneDnnPackedConvolution.Convolve(x, packed, bias, _padding);
    }

    private Tensor Plain(Tensor x) => nn.functional.conv2d(x, weight, bias, padding: [_padding, _padding]);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _packed?.Dispose();
        _packed = null;
        base.Dispose(disposing);
    }
}

/// <summary>Group normalisation with affine parameters (PyTorch's nn.GroupNorm).</summary>
internal sealed class GroupNormLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long _groups;
    private readonly double _eps;

    /// <summary>Creates the layer.</summary>
    public GroupNormLayer(long groups, long channels, double eps, WeightAllocation allocation) : base(nameof(GroupNormLayer))
    {
        if (groups < 1 || channels % groups != 0) throw new ArgumentException($"{groups} groups do not divide {channels} channels.");
        weight = allocation.Create(channels);
        bias = allocation.Create(channels);
        _groups = groups;
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => nn.functional.group_norm(x, _groups, weight, bias, _eps);
}

/// <summary>Layer normalisation over the last dimension with affine parameters (PyTorch's nn.LayerNorm).</summary>
internal sealed class LayerNormLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly long _features;
    private readonly double _eps;

    /// <summary>Creates the layer.</summary>
    public LayerNormLayer(long features, double eps, WeightAllocation allocation) : base(nameof(LayerNormLayer))
    {
        weight = allocation.Create(features);
        bias = allocation.Create(features);
        _features = features;
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => nn.functional.layer_norm(x, [_features], weight, bias, _eps);
}

/// <summary>A lookup table (PyTorch's nn.Embedding).</summary>
internal sealed class EmbeddingLayer : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;

    /// <summary>Creates the table.</summary>
    public EmbeddingLayer(long count, long dimension, WeightAllocation allocation) : base(nameof(EmbeddingLayer))
    {
        weight = allocation.Create(count, dimension);
        RegisterComponents();
    }

    /// <summary>The table.</summary>
    public Parameter Weight => weight;

    /// <summary>Rows of the table for integer ids of any shape.</summary>
    public override Tensor forward(Tensor ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var shape = ids.shape.Append(weight.shape[1]).ToArray();
        return weight.index_select(0, ids.flatten()).reshape(shape);
    }
}
