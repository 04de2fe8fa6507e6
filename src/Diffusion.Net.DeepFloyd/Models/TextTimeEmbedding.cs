using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Models;

/// <summary>
/// diffusers' AttentionPooling: the pooled query is the mean over all tokens plus a learned positional vector, and it
/// is itself one of the keys; q and k are each scaled by dh^(−1/4); the softmax runs in float32.
/// </summary>
internal sealed class AttentionPooling : nn.Module<Tensor, Tensor>
{
    private readonly Parameter positional_embedding;
    private readonly LinearLayer k_proj;
    private readonly LinearLayer q_proj;
    private readonly LinearLayer v_proj;
    private readonly long _heads;
    private readonly long _headDim;

    /// <summary>Creates the pooling.</summary>
    public AttentionPooling(long heads, long embedDim, WeightAllocation allocation) : base(nameof(AttentionPooling))
    {
        positional_embedding = allocation.Create(1, embedDim);
        k_proj = new LinearLayer(embedDim, embedDim, allocation);
        q_proj = new LinearLayer(embedDim, embedDim, allocation);
        v_proj = new LinearLayer(embedDim, embedDim, allocation);
        _heads = heads;
        _headDim = embedDim / heads;
        RegisterComponents();
    }

    /// <summary>[B, L, D] → [B, D].</summary>
    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], width = x.shape[2];
        // (B, len, D) → (B·heads, dh, len), heads as contiguous dh-sized slices of D.
        Tensor Shape(Tensor t) => t.view(b, -1, _heads, _headDim).transpose(1, 2).reshape(b * _heads, -1, _headDim).transpose(1, 2);
        var classToken = x.mean([1], keepdim: true) + positional_embedding.to(x.dtype);
        var tokens = cat([classToken, x], 1);
        var q = Shape(q_proj.forward(classToken));
        var k = Shape(k_proj.forward(tokens));
        var v = Shape(v_proj.forward(tokens));
        double scale = 1 / Math.Sqrt(Math.Sqrt(_headDim));
        var weight = (q * scale).transpose(1, 2).bmm(k * scale);                 // (B·heads, 1, len+1)
        weight = weight.to(ScalarType.Float32).softmax(-1).to(weight.dtype);
        var a = v.bmm(weight.transpose(1, 2));                                    // (B·heads, dh, 1)
        return a.reshape(b, -1, 1).transpose(1, 2).reshape(b, width);
    }
}

/// <summary>diffusers' TextTimeEmbedding ("addition_embed_type": "text"): LayerNorm → attention pooling → Linear → LayerNorm.</summary>
internal sealed class TextTimeEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly LayerNormLayer norm1;
    private readonly AttentionPooling pool;
    private readonly LinearLayer proj;
    private readonly LayerNormLayer norm2;

    /// <summary>Creates the embedding.</summary>
    public TextTimeEmbedding(long encoderDim, long timeEmbedDim, long heads, WeightAllocation allocation) : base(nameof(TextTimeEmbedding))
    {
        norm1 = new LayerNormLayer(encoderDim, 1e-5, allocation);
        pool = new AttentionPooling(heads, encoderDim, allocation);
        proj = new LinearLayer(encoderDim, timeEmbedDim, allocation);
        norm2 = new LayerNormLayer(timeEmbedDim, 1e-5, allocation);
        RegisterComponents();
    }

    /// <summary>Raw text-encoder states [B, L, D] → [B, time_embed_dim].</summary>
    public override Tensor forward(Tensor hiddenStates) => norm2.forward(proj.forward(pool.forward(norm1.forward(hiddenStates))));
}
