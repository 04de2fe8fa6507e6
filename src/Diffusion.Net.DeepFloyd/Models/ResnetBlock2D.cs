using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>How a resnet block resamples.</summary>
public enum Resample
{
    /// <summary>No resampling.</summary>
    None,

    /// <summary>2×2 average pooling of both paths (Downsample2D without conv).</summary>
    Down,

    /// <summary>Nearest ×2 upsampling of both paths (Upsample2D without conv; bfloat16 computed in float32).</summary>
    Up,
}

/// <summary>
/// diffusers' ResnetBlock2D as IF configures it: pre-norm GroupNorm → GELU → (resample) → conv1; the time embedding
/// (GELU'd unless skip_time_act) projects to 2·C_out as scale and shift of norm2; GELU → conv2; a 1×1 shortcut when
/// the widths differ; the sum is divided by the output scale factor.
/// </summary>
internal sealed class ResnetBlock2D : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly GroupNormLayer norm1;
    private readonly Conv2dLayer conv1;
    private readonly LinearLayer time_emb_proj;
    private readonly GroupNormLayer norm2;
    private readonly Conv2dLayer conv2;
    private readonly Conv2dLayer? conv_shortcut;
    private readonly Resample _resample;
    private readonly bool _skipTimeAct;
    private readonly double _outputScaleFactor;

    /// <summary>Creates the block.</summary>
    public ResnetBlock2D(long inChannels, long outChannels, long tembChannels, long groups, double eps, bool skipTimeAct,
        double outputScaleFactor, Resample resample, WeightAllocation allocation) : base(nameof(ResnetBlock2D))
    {
        norm1 = new GroupNormLayer(groups, inChannels, eps, allocation);
        conv1 = new Conv2dLayer(inChannels, outChannels, 3, 1, allocation);
        time_emb_proj = new LinearLayer(tembChannels, 2 * outChannels, allocation);
        norm2 = new GroupNormLayer(groups, outChannels, eps, allocation);
        conv2 = new Conv2dLayer(outChannels, outChannels, 3, 1, allocation);
        if (inChannels != outChannels) conv_shortcut = new Conv2dLayer(inChannels, outChannels, 1, 0, allocation);
        _resample = resample;
        _skipTimeAct = skipTimeAct;
        _outputScaleFactor = outputScaleFactor;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input, Tensor temb)
    {
        // A scope per block keeps only its output alive: peak memory is one block's temporaries, not the network's.
        using var scope = NewDisposeScope();
        // Without autograd, each full-size intermediate is written in place or freed right after its last use: an
        // activation above glibc's mmap threshold is a fresh mapping whose pages the kernel zeroes on every forward,
        // so each one avoided is that cost saved (the operations and their order, hence the output, are the same).
        bool inPlace = !is_grad_enabled();
        var h = Gelu(norm1.forward(input), inPlace);
        var x = input;
        if (_resample == Resample.Up)
        {
            x = Upsample(x);
            h = Replace(h, Upsample(h), inPlace);
        }
        else if (_resample == Resample.Down)
        {
            x = nn.functional.avg_pool2d(x, 2, 2);
            h = Replace(h, nn.functional.avg_pool2d(h, 2, 2), inPlace);
        }
        h = Replace(h, conv1.forward(h), inPlace);
        var t = time_emb_proj.forward(_skipTimeAct ? temb : nn.functional.gelu(temb)).unsqueeze(-1).unsqueeze(-1);
        var parts = t.chunk(2, 1);
        h = Replace(h, norm2.forward(h), inPlace);
        if (inPlace)
        {
            h = Own(h, h.mul_(1 + parts[0]));
            h = Own(h, h.add_(parts[1]));
        }
        else h = h * (1 + parts[0]) + parts[1];
        h = Gelu(h, inPlace);
        h = Replace(h, conv2.forward(h), inPlace);
        if (conv_shortcut is not null) x = conv_shortcut.forward(x);
        // x + h and h + x are the same sum in IEEE arithmetic.
        var output = inPlace ? Own(h, h.add_(x)) : x + h;
        if (_outputScaleFactor != 1.0) output = inPlace ? Own(output, output.div_(_outputScaleFactor)) : output / _outputScaleFactor;
        return scope.MoveToOuter(output);
    }

    private static Tensor Gelu(Tensor x, bool inPlace) => inPlace ? Own(x, x.gelu_()) : nn.functional.gelu(x);

    /// <summary>
    /// The result of an in-place operation on <paramref name="target"/>; when it comes back as a second handle to the
    /// same storage, the first is released so that disposing the result frees the storage.
    /// </summary>
    private static Tensor Own(Tensor target, Tensor result)
    {
        if (!ReferenceEquals(result, target)) target.Dispose();
        return result;
    }

    /// <summary>Frees <paramref name="old"/> at once when nothing but this block can hold it (no autograd graph).</summary>
    private static Tensor Replace(Tensor old, Tensor next, bool inPlace)
    {
        if (inPlace) old.Dispose();
        return next;
    }

    private static Tensor Upsample(Tensor x)
    {
        var dtype = x.dtype;
        var y = dtype == ScalarType.BFloat16 ? x.to(ScalarType.Float32) : x;
        y = nn.functional.interpolate(y, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return y.dtype == dtype ? y : y.to(dtype);
    }
}
