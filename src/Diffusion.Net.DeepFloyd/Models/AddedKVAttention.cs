using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>
/// diffusers' Attention with added KV (AttnAddedKVProcessor), IF's SimpleCrossAttn: image tokens attend over
/// [text tokens ; image tokens]. The text states get GroupNorm(32) over channels × tokens; the image tokens get the
/// block's GroupNorm; scores are scaled by dh^(−½) and soft-maxed in float32; the output is added to the input.
/// </summary>
internal sealed class AddedKVAttention : nn.Module
{
    private readonly GroupNormLayer group_norm;
    private readonly GroupNormLayer norm_cross;
    private readonly LinearLayer to_q;
    private readonly LinearLayer to_k;
    private readonly LinearLayer to_v;
    private readonly LinearLayer add_k_proj;
    private readonly LinearLayer add_v_proj;
    private readonly ModuleList<nn.Module<Tensor, Tensor>> to_out;
    private readonly long _heads;
    private readonly long _headDim;

    /// <summary>Creates the attention for C channels and cross-attention width Ce.</summary>
    public AddedKVAttention(long channels, long crossAttentionDim, long headDim, long groups, WeightAllocation allocation) : base(nameof(AddedKVAttention))
    {
        if (channels % headDim != 0) throw new ArgumentException($"The head width {headDim} does not divide {channels} channels.");
        _heads = channels / headDim;
        _headDim = headDim;
        group_norm = new GroupNormLayer(groups, channels, 1e-5, allocation);
        norm_cross = new GroupNormLayer(32, crossAttentionDim, 1e-5, allocation);
        to_q = new LinearLayer(channels, channels, allocation);
        to_k = new LinearLayer(channels, channels, allocation);
        to_v = new LinearLayer(channels, channels, allocation);
        add_k_proj = new LinearLayer(crossAttentionDim, channels, allocation);
        add_v_proj = new LinearLayer(crossAttentionDim, channels, allocation);
        to_out = new ModuleList<nn.Module<Tensor, Tensor>>(new LinearLayer(channels, channels, allocation), nn.Identity());
        RegisterComponents();
    }

    /// <summary>Applies the attention.</summary>
    /// <param name="x">[B, C, H, W].</param>
    /// <param name="encoderStates">Projected text states [B, L, Ce].</param>
    /// <param name="maskBias">Additive bias [B, 1, L] (0 keep, −10000 drop), or null.</param>
    public Tensor Forward(Tensor x, Tensor encoderStates, Tensor? maskBias)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], n = x.shape[2] * x.shape[3];
        var text = norm_cross.forward(encoderStates.transpose(1, 2)).transpose(1, 2);           // (B, L, Ce)
        // GroupNorm over [B, C, H, W] equals it over [B, C, N]; on the channels-last input it is the token layout.
        var hidden = group_norm.forward(x).reshape(b, c, n).transpose(1, 2);                    // (B, N, C)
        var q = ToHeads(to_q.forward(hidden));
        var key = cat([ToHeads(add_k_proj.forward(text)), ToHeads(to_k.forward(hidden))], 2);   // text first
        var value = cat([ToHeads(add_v_proj.forward(text)), ToHeads(to_v.forward(hidden))], 2);
        // Pad the text mask with zeros over the image tokens ([text ; image] order); it broadcasts over heads and queries.
        var bias = maskBias is null ? null : nn.functional.pad(maskBias.to(q.dtype), [0, n]).unsqueeze(1);
        // libtorch's fused CPU attention scales by dh^(−½), keeps the scores and the softmax in float32 for
        // reduced dtypes (diffusers' upcast_softmax) and never materialises the [B·heads, N, L + N] score matrix.
        var attended = nn.functional.scaled_dot_product_attention(q, key, value, bias);             // (B, heads, N, dh)
        var merged = attended.permute(0, 2, 1, 3).reshape(b, n, c);
        var output = to_out[0].forward(merged);
        return scope.MoveToOuter(output.transpose(1, 2).reshape(x.shape) + x);
    }

    private Tensor ToHeads(Tensor t)
    {
        long b = t.shape[0], len = t.shape[1];
        return t.view(b, len, _heads, _headDim).permute(0, 2, 1, 3);                               // (B, heads, len, dh)
    }
}
