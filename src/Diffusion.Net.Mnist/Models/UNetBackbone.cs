using Diffusion.Net.Imaging;
using Diffusion.Net.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Diffusion.Net.Mnist.Models;

/// <summary>
/// The CS180 UNet body shared by the three networks (spec §3.1), with hooks where conditioning enters: after
/// "unflatten" (2D×7×7) and after "up1" (D×14×14), before each is concatenated with its skip tensor.
/// </summary>
/// <remarks>Skip concatenation puts the encoder tensor first: cat(e3, unflatten), cat(e2, up1), cat(e1, up2).</remarks>
public abstract class UNetBackbone : Module<Tensor, Tensor>, IComputeSettings
{
    private protected readonly ConvBlock first_block;
    private protected readonly DownBlock down1;
    private protected readonly DownBlock down2;
    private protected readonly Flatten flatten;
    private protected readonly Unflatten unflatten;
    private protected readonly UpBlock up1;
    private protected readonly UpBlock up2;
    private protected readonly ConvBlock last_block;
    private protected readonly Conv2d @out;

    /// <summary>Builds the body for <paramref name="inChannels"/> input channels and hidden size D.</summary>
    protected UNetBackbone(string name, long inChannels, long hidden) : base(name)
    {
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "Must be positive.");
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "The hidden size D must be positive.");
        InChannels = inChannels;
        Hidden = hidden;
        first_block = new ConvBlock(inChannels, hidden);
        down1 = new DownBlock(hidden, hidden);
        down2 = new DownBlock(hidden, 2 * hidden);
        flatten = new Flatten();
        unflatten = new Unflatten(2 * hidden);
        up1 = new UpBlock(4 * hidden, hidden);
        up2 = new UpBlock(2 * hidden, hidden);
        last_block = new ConvBlock(2 * hidden, hidden);
        @out = Conv2d(hidden, inChannels, 3, stride: 1, padding: 1);
    }

    /// <summary>Input (and output) channels.</summary>
    public long InChannels { get; }

    /// <summary>The hidden size D.</summary>
    public long Hidden { get; }

    /// <summary>
    /// Whether the convolution blocks run in NHWC ("channels last") layout; on by default. On CPU, oneDNN then uses
    /// its NHWC kernels and drops the reorders between NCHW and its blocked layout: float32 training is 5–11% faster
    /// here, bfloat16 1–9% (docs/performance.md). Inputs, outputs and saved weights stay NCHW; results differ from the NCHW path by float
    /// rounding only (different summation orders).
    /// </summary>
    public bool ChannelsLast
    {
        get => _channelsLast;
        set
        {
            _channelsLast = value;
            foreach (var block in modules().OfType<ConvNormGelu>()) block.ChannelsLast = value;
        }
    }

    private bool _channelsLast = true;

    /// <inheritdoc />
    /// <remarks>The layout: a checkpoint trained in one layout and resumed in the other continues with other rounding.</remarks>
    public string ComputeSettings => ChannelsLast ? "layout=NHWC" : "layout=NCHW";

    /// <summary>
    /// Runs <paramref name="network"/> in the dtype of this model's parameters and returns its output in the dtype of
    /// <paramref name="sample"/>: a bfloat16 network can then serve a float32 sampling state. Keeping the state in
    /// float32 matters: 300 DDPM updates of a bfloat16 state (8-bit mantissa, coefficients ≈ 1) accumulate rounding
    /// into visible speckle.
    /// </summary>
    private protected Tensor InModelPrecision(Tensor sample, Func<Tensor, Tensor> network)
    {
        var dtype = @out.weight!.dtype;
        if (sample.dtype == dtype) return network(sample);
        return network(sample.to(dtype)).to(sample.dtype);
    }

    /// <summary>
    /// Images per pass when no gradient is recorded, or 0 (the default) for automatic: on CPU as many as keep the
    /// largest activation, the last skip concatenation (2D × 28 × 28 values per image), within 16 MiB (at most 41
    /// images at D = 64 in float32, 83 in bfloat16; the batch then runs in equal passes); on other devices the whole
    /// batch. A recorded gradient or train mode always runs the whole batch: train-mode BatchNorm normalises by the
    /// statistics of the batch it is given.
    /// </summary>
    /// <remarks>
    /// Why chunks pay on CPU: glibc serves every buffer above 32 MiB with a fresh mmap whose pages the kernel zeroes on
    /// each forward, and a 200-image batch at D = 64 makes 40–80 MB activations; chunks stay in the reused heap and in
    /// cache (docs/performance.md, row 4). Each image's output is the same computation either way; oneDNN may pick
    /// other kernel blockings for another batch size, so outputs can differ from a whole-batch pass by float rounding.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public int InferenceChunk
    {
        get => _inferenceChunk;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(InferenceChunk));
            _inferenceChunk = value;
        }
    }

    private int _inferenceChunk;

    /// <summary>The automatic chunk's budget for the largest activation of one pass.</summary>
    private const long ChunkBudgetBytes = 16L << 20;

    /// <summary>Images per pass for this input: the whole batch with a gradient, in train mode, off CPU, or when it fits.</summary>
    internal long ChunkFor(Tensor x)
    {
        long batch = x.shape[0];
        if (is_grad_enabled() || training) return batch;
        long chunk = InferenceChunk;
        if (chunk == 0)
        {
            if (x.device_type != TorchSharp.DeviceType.CPU) return batch;
            long perImage = 2 * Hidden * 28 * 28 * x.ElementSize;
            chunk = Math.Max(1, ChunkBudgetBytes / perImage);
        }
        if (chunk >= batch) return batch;
        // Equal passes rather than full ones and a small remainder: 200 images at 41 run as 5 × 40, not 4 × 41 + 36.
        long passes = (batch + chunk - 1) / chunk;
        return (batch + passes - 1) / passes;
    }

    /// <summary>
    /// The body with the networks' conditioning at "unflatten" and "up1", in row chunks when no gradient is recorded
    /// (<see cref="InferenceChunk"/>).
    /// </summary>
    private protected Tensor Body(Tensor x, Modulation? atUnflatten, Modulation? atUp1)
    {
        CheckInput(x);
        long batch = x.shape[0], chunk = ChunkFor(x);
        if (chunk >= batch) return Pass(x, Hook(atUnflatten), Hook(atUp1));
        var parts = new List<Tensor>();
        try
        {
            for (long start = 0; start < batch; start += chunk)
            {
                long length = Math.Min(chunk, batch - start);
                using var rows = x.narrow(0, start, length);
                var first = atUnflatten?.Rows(start, length);
                var second = atUp1?.Rows(start, length);
                try
                {
                    parts.Add(Pass(rows, Hook(first), Hook(second)));
                }
                finally
                {
                    first?.DisposeViews();
                    second?.DisposeViews();
                }
            }
            return cat(parts, 0);
        }
        finally
        {
            foreach (var part in parts) part.Dispose();
        }
    }

    private static Func<Tensor, Tensor>? Hook(Modulation? modulation) => modulation is { } m ? m.Apply : null;

    /// <summary>The body's forward pass over the whole batch, with optional modulation of "unflatten" and "up1".</summary>
    protected Tensor Body(Tensor x, Func<Tensor, Tensor>? atUnflatten, Func<Tensor, Tensor>? atUp1)
    {
        CheckInput(x);
        return Pass(x, atUnflatten, atUp1);
    }

    private Tensor Pass(Tensor x, Func<Tensor, Tensor>? atUnflatten, Func<Tensor, Tensor>? atUp1)
    {
        // Each activation is disposed after its last use (autograd keeps what backward needs): at batch 100 this
        // holds a few buffers at a time instead of every intermediate of the pass. A skip concatenation copies both of
        // its inputs, so they go as soon as it is made, before the block that reads it allocates.
        Tensor? e1 = null, e2 = null, e3 = null, u0 = null, u1 = null, u2 = null, skip = null;
        try
        {
            e1 = first_block.forward(x);
            e2 = down1.forward(e1);
            e3 = down2.forward(e2);
            using (var flat = flatten.forward(e3)) u0 = unflatten.forward(flat);
            u0 = Modulate(u0, atUnflatten);
            skip = Concatenate(ref e3, ref u0);
            u1 = up1.forward(skip);
            Dispose(ref skip);
            u1 = Modulate(u1, atUp1);
            skip = Concatenate(ref e2, ref u1);
            u2 = up2.forward(skip);
            Dispose(ref skip);
            skip = Concatenate(ref e1, ref u2);
            using var last = last_block.forward(skip);
            Dispose(ref skip);
            return @out.forward(last);
        }
        finally
        {
            foreach (var t in new[] { e1, e2, e3, u0, u1, u2, skip }) t?.Dispose();
        }
    }

    /// <summary>cat([encoder, decoder], channels), disposing both inputs.</summary>
    private static Tensor Concatenate(ref Tensor? encoder, ref Tensor? decoder)
    {
        var joined = cat([encoder!, decoder!], 1);
        Dispose(ref encoder);
        Dispose(ref decoder);
        return joined;
    }

    private static void Dispose(ref Tensor? tensor)
    {
        tensor?.Dispose();
        tensor = null;
    }

    private static Tensor Modulate(Tensor u, Func<Tensor, Tensor>? modulation)
    {
        if (modulation is null) return u;
        var modulated = modulation(u);
        if (!ReferenceEquals(modulated, u)) u.Dispose();
        return modulated;
    }

    /// <summary>Throws unless x is [N, InChannels, 28, 28] (the 7×7 bottleneck needs 28×28).</summary>
    protected void CheckInput(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        ValidateSample(x.shape);
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> unless a sampling state of <paramref name="sampleShape"/> is
    /// [N, InChannels, 28, 28]: the pipelines' <c>Validate()</c> calls it before any tensor work.
    /// </summary>
    public void ValidateSample(long[] sampleShape)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Length != 4 || sampleShape[0] < 1 || sampleShape[1] != InChannels || sampleShape[2] != 28 || sampleShape[3] != 28)
            throw new ArgumentException($"The CS180 UNet takes [N, {InChannels}, 28, 28] images; got [{string.Join(", ", sampleShape)}].", "sample");
    }

    /// <summary>
    /// [0, 1]: CS180 Part B trains on MNIST as torchvision's ToTensor gives it, so samples and x̂_0 are in [0, 1]
    /// (black background 0, white strokes 1). Pipelines mark their samples with it, so that
    /// <c>ImageIO.SavePng(sample, path)</c> shows the digits as they are.
    /// </summary>
    public PixelRange PixelRange => PixelRange.ZeroToOne;

    /// <summary>The number of trainable parameters.</summary>
    public long ParameterCount => parameters().Where(p => p.requires_grad).Sum(p => p.numel());
}
