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
        var h = nn.functional.gelu(norm1.forward(input));
        var x = input;
        if (_resample == Resample.Up)
        {
            x = Upsample(x);
            h = Upsample(h);
        }
        else if (_resample == Resample.Down)
        {
            x = nn.functional.avg_pool2d(x, 2, 2);
            h = nn.functional.avg_pool2d(h, 2, 2);
        }
        h = conv1.forward(h);
        var t = time_emb_proj.forward(_skipTimeAct ? temb : nn.functional.gelu(temb)).unsqueeze(-1).unsqueeze(-1);
        var parts = t.chunk(2, 1);
        h = norm2.forward(h) * (1 + parts[0]) + parts[1];
        h = conv2.forward(nn.functional.gelu(h));
        if (conv_shortcut is not null) x = conv_shortcut.forward(x);
        var output = x + h;
        return scope.MoveToOuter(_outputScaleFactor == 1.0 ? output : output / _outputScaleFactor);
    }

    private static Tensor Upsample(Tensor x)
    {
        var dtype = x.dtype;
        var y = dtype == ScalarType.BFloat16 ? x.to(ScalarType.Float32) : x;
        y = nn.functional.interpolate(y, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return y.dtype == dtype ? y : y.to(dtype);
    }
}
