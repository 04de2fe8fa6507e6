using Diffusion.Net.DeepFloyd.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Text;

/// <summary>T5's RMSNorm (weight only, no mean subtraction): h · rsqrt(mean(h²) + ε) in float32, then cast to the weight dtype.</summary>
internal sealed class T5LayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;

    /// <summary>Creates the norm.</summary>
    public T5LayerNorm(long size, double eps, WeightAllocation allocation) : base(nameof(T5LayerNorm))
    {
        weight = allocation.Create(size);
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor h)
    {
        var variance = h.to(ScalarType.Float32).pow(2).mean([-1], keepdim: true);
        var normed = h.to(ScalarType.Float32) * (variance + _eps).rsqrt();
        if (weight.dtype is ScalarType.Float16 or ScalarType.BFloat16) normed = normed.to(weight.dtype);
        return weight * normed;
    }
}

/// <summary>T5 self-attention: no 1/√d scaling, relative position bias (owned by layer 0 only, shared by the others).</summary>
internal sealed class T5Attention : nn.Module
{
    private readonly LinearLayer q;
    private readonly LinearLayer k;
    private readonly LinearLayer v;
    private readonly LinearLayer o;
    private readonly EmbeddingLayer? relative_attention_bias;
    private readonly T5Config _config;

    /// <summary>Creates the attention.</summary>
    public T5Attention(T5Config config, bool hasRelativeBias, WeightAllocation allocation) : base(nameof(T5Attention))
    {
        _config = config;
        long inner = (long)config.NumHeads * config.DKv;
        q = new LinearLayer(config.DModel, inner, allocation, hasBias: false);
        k = new LinearLayer(config.DModel, inner, allocation, hasBias: false);
        v = new LinearLayer(config.DModel, inner, allocation, hasBias: false);
        o = new LinearLayer(inner, config.DModel, allocation, hasBias: false);
        if (hasRelativeBias) relative_attention_bias = new EmbeddingLayer(config.RelativeAttentionNumBuckets, config.NumHeads, allocation);
        RegisterComponents();
    }

    /// <summary>The relative position bias (1, heads, L, L) for length L (layer 0 only).</summary>
    public Tensor PositionBias(long length, Device device)
    {
        if (relative_attention_bias is null) throw new InvalidOperationException("Only the first layer owns the relative attention bias.");
        using var scope = NewDisposeScope();
        var position = arange(length, ScalarType.Int64, device);
        var relative = position.unsqueeze(0) - position.unsqueeze(1);                 // key − query, (L, L)
        var buckets = RelativePositionBucket(relative, _config.RelativeAttentionNumBuckets, _config.RelativeAttentionMaxDistance);
        var values = relative_attention_bias.forward(buckets);                          // (L, L, heads)
        return scope.MoveToOuter(values.permute(2, 0, 1).unsqueeze(0));
    }

    /// <summary>transformers' bidirectional bucketing: half the buckets per sign, exact below max_exact, log-spaced above.</summary>
    public static Tensor RelativePositionBucket(Tensor relative, int numBuckets, int maxDistance)
    {
        int n = numBuckets / 2;
        var bucket = relative.gt(0).to(ScalarType.Int64) * n;
        var r = relative.abs();
        int maxExact = n / 2;
        var isSmall = r.lt(maxExact);
        var large = (r.to(ScalarType.Float32) / maxExact).log() / (float)Math.Log((double)maxDistance / maxExact) * (n - maxExact);
        var largeBucket = (large.to(ScalarType.Int64) + maxExact).clamp_max(n - 1);
        return bucket + where(isSmall, r, largeBucket);
    }

    /// <summary>Attention over h (B, L, D) with the shared bias (B or 1, heads, L, L).</summary>
    public Tensor Forward(Tensor h, Tensor positionBias)
    {
        long b = h.shape[0], len = h.shape[1], heads = _config.NumHeads, dk = _config.DKv;
        Tensor Heads(Tensor t) => t.view(b, len, heads, dk).transpose(1, 2);            // (B, heads, L, dk)
        var qh = Heads(q.forward(h));
        var kh = Heads(k.forward(h));
        var vh = Heads(v.forward(h));
        // One fused call for QKᵀ + bias, the softmax (in float32 for reduced dtypes) and the product with V. T5 does not
        // scale its scores and the fused kernel divides them by √dk (TorchSharp passes no scale), so the queries go in
        // multiplied by √dk: for T5's dk = 64 that is 8, a power of two, and both products are exact.
        var attended = nn.functional.scaled_dot_product_attention(qh * Math.Sqrt(dk), kh, vh, positionBias.to(qh.dtype));
        return o.forward(attended.transpose(1, 2).reshape(b, len, heads * dk));
    }
}

/// <summary>The first sub-layer of a T5 block: pre-norm self-attention with a residual.</summary>
internal sealed class T5LayerSelfAttention : nn.Module
{
    private readonly T5Attention SelfAttention;
    private readonly T5LayerNorm layer_norm;

    /// <summary>Creates the sub-layer.</summary>
    public T5LayerSelfAttention(T5Config config, bool hasRelativeBias, WeightAllocation allocation) : base(nameof(T5LayerSelfAttention))
    {
        SelfAttention = new T5Attention(config, hasRelativeBias, allocation);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, allocation);
        RegisterComponents();
    }

    internal T5Attention Attention => SelfAttention;

    internal Tensor Forward(Tensor h, Tensor bias) => h + SelfAttention.Forward(layer_norm.forward(h), bias);
}

/// <summary>T5 v1.1's gated-GELU feed-forward: gelu_tanh(x W0ᵀ) ⊙ (x W1ᵀ), then Woᵀ.</summary>
internal sealed class T5DenseGatedActDense : nn.Module<Tensor, Tensor>
{
    private readonly LinearLayer wi_0;
    private readonly LinearLayer wi_1;
    private readonly LinearLayer wo;

    /// <summary>Creates the feed-forward.</summary>
    public T5DenseGatedActDense(T5Config config, WeightAllocation allocation) : base(nameof(T5DenseGatedActDense))
    {
        wi_0 = new LinearLayer(config.DModel, config.DFf, allocation, hasBias: false);
        wi_1 = new LinearLayer(config.DModel, config.DFf, allocation, hasBias: false);
        wo = new LinearLayer(config.DFf, config.DModel, allocation, hasBias: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        var gate = GeluTanh(wi_0.forward(x));
        return wo.forward(gate * wi_1.forward(x));
    }

    /// <summary>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), transformers' "gelu_new".</summary>
    public static Tensor GeluTanh(Tensor x) => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh);
}

/// <summary>The second sub-layer of a T5 block: pre-norm feed-forward with a residual.</summary>
internal sealed class T5LayerFF : nn.Module
{
    private readonly T5DenseGatedActDense DenseReluDense;
    private readonly T5LayerNorm layer_norm;

    /// <summary>Creates the sub-layer.</summary>
    public T5LayerFF(T5Config config, WeightAllocation allocation) : base(nameof(T5LayerFF))
    {
        DenseReluDense = new T5DenseGatedActDense(config, allocation);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, allocation);
        RegisterComponents();
    }

    internal Tensor Forward(Tensor h) => h + DenseReluDense.forward(layer_norm.forward(h));
}

/// <summary>One T5 encoder block: self-attention, then feed-forward.</summary>
internal sealed class T5Block : nn.Module
{
    private readonly ModuleList<nn.Module> layer;

    /// <summary>Creates the block.</summary>
    public T5Block(T5Config config, bool hasRelativeBias, WeightAllocation allocation) : base(nameof(T5Block))
    {
        layer = new ModuleList<nn.Module>(new T5LayerSelfAttention(config, hasRelativeBias, allocation), new T5LayerFF(config, allocation));
        RegisterComponents();
    }

    internal T5LayerSelfAttention SelfAttentionLayer => (T5LayerSelfAttention)layer[0];

    internal Tensor Forward(Tensor h, Tensor bias)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(((T5LayerFF)layer[1]).Forward(SelfAttentionLayer.Forward(h, bias)));
    }
}

/// <summary>The encoder stack: embeddings (tied to <c>shared</c>), blocks, final RMSNorm.</summary>
internal sealed class T5Stack : nn.Module
{
    private readonly EmbeddingLayer embed_tokens;
    private readonly ModuleList<T5Block> block;
    private readonly T5LayerNorm final_layer_norm;

    internal T5Stack(T5Config config, EmbeddingLayer shared, WeightAllocation allocation) : base(nameof(T5Stack))
    {
        // The same module under both names, not a second module over the same tensor: converting the model (to())
        // then converts the table once, where a second owner would be left holding the table it replaced.
        embed_tokens = shared;
        block = new ModuleList<T5Block>();
        for (int i = 0; i < config.NumLayers; i++) block.Add(new T5Block(config, i == 0, allocation));
        final_layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, allocation);
        RegisterComponents();
    }

    internal Tensor Forward(Tensor inputIds, Tensor? attentionMask, List<Tensor>? hiddenStates, Tensor? recordBias)
    {
        var h = embed_tokens.forward(inputIds);
        hiddenStates?.Add(h);
        long b = inputIds.shape[0], len = inputIds.shape[1];
        var bias = block[0].SelfAttentionLayer.Attention.PositionBias(len, inputIds.device).to(h.dtype);
        if (attentionMask is not null)
        {
            // (1 − mask) · finfo(dtype).min, broadcast over heads and queries, added to the shared bias.
            double min = h.dtype == ScalarType.BFloat16 ? -3.3895313892515355e38 : h.dtype == ScalarType.Float16 ? -65504.0 : float.MinValue;
            var extended = (1 - attentionMask.to(h.dtype)).view(b, 1, 1, len) * min;
            bias = bias + extended;
        }
        recordBias?.set_(bias.detach().clone());
        for (int i = 0; i < block.Count; i++)
        {
            h = block[i].Forward(h, bias);
            if (i < block.Count - 1) hiddenStates?.Add(h);
        }
        h = final_layer_norm.forward(h);
        hiddenStates?.Add(h);
        return h;
    }
}

/// <summary>
/// transformers' T5EncoderModel as DeepFloyd IF uses it (T5 v1.1 XXL: 24 layers, width 4096, 64 heads, gated GELU).
/// <c>shared.weight</c> and <c>encoder.embed_tokens.weight</c> are one tensor; a checkpoint may hold either.
/// </summary>
public sealed class T5EncoderModel : nn.Module
{
    private readonly EmbeddingLayer shared;
    private readonly T5Stack encoder;

    /// <summary>Builds the encoder (uninitialised weights).</summary>
    public T5EncoderModel(T5Config config, WeightAllocation? allocation = null) : base(nameof(T5EncoderModel))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        config.Validate();
        var a = allocation ?? WeightAllocation.Cpu;
        shared = new EmbeddingLayer(config.VocabSize, config.DModel, a);
        encoder = new T5Stack(config, shared, a);
        RegisterComponents();
    }

    /// <summary>The config.</summary>
    public T5Config Config { get; }

    /// <summary>The number of distinct parameters (the tied embedding counted once).</summary>
    public long ParameterCount => parameters().Distinct(ReferenceEqualityComparer.Instance).Cast<Parameter>().Sum(p => p.numel());

    /// <summary>Whether <see cref="PackLinearWeights"/> has packed the weights.</summary>
    public bool IsPacked { get; private set; }

    /// <summary>
    /// <b>Opt-in, irreversible, float32 on the CPU:</b> packs the weight of every linear layer (attention and
    /// feed-forward; not the embedding or the norms) into MKL's GEMM layout once and releases the weight itself. libtorch's
    /// linear hands MKL the plain weight, which MKL copies into that layout on every call; at a prompt's 77 tokens the copy
    /// costs about as much as the arithmetic, and packing once takes it out of every forward. MKL's packed buffers are
    /// 1.07–1.29× the weights they replace, depending on the kernels it picked for this CPU (<c>docs/performance.md</c>).
    /// On a CPU that is not Intel's, MKL picks its generic kernels unless the application called
    /// <see cref="Diffusion.Net.Hosting.MklDispatch.IgnoreCpuVendor"/> first, and packing then gains nothing.
    /// Afterwards the encoder only runs forward passes, in float32 on the CPU without gradients: the packed layers'
    /// <c>weight</c> entries are empty tensors, so loading weights into the model, changing its dtype or device, or an
    /// input that requires a gradient fails with an exception, and a state dict saved afterwards holds those empty
    /// entries (save the weights before).
    /// </summary>
    /// <returns>
    /// True when the weights are packed (also when they already were); false, with nothing changed, where it does not
    /// apply: weights not float32 on the CPU, or a libtorch that exports no MKL packed GEMM (its Linux x64 builds do).
    /// </returns>
    public bool PackLinearWeights()
    {
        if (IsPacked) return true;
        var layers = modules().OfType<LinearLayer>().ToList();
        if (!MklPackedGemm.IsSupported || layers.Count == 0) return false;
        foreach (var (_, p) in named_parameters())
            if (p.dtype != ScalarType.Float32 || p.device_type != TorchSharp.DeviceType.CPU) return false;
        // One layer at a time, each released weight handed back to the system before the next buffer is taken: the peak
        // is the model plus one packed buffer. glibc unmaps a weight-sized block on free, but TCMalloc and jemalloc keep
        // freed pages for reuse, and a larger packed buffer rarely fits the hole one weight leaves.
        foreach (var layer in layers)
        {
            layer.PackWeight();
            Diffusion.Net.Hosting.NativeHeap.ReleaseFreedMemory();
        }
        IsPacked = true;
        return true;
    }

    /// <summary>The tied-embedding aliases for loading: either key fills both entries.</summary>
    public static IReadOnlyDictionary<string, string[]> TiedKeys { get; } = new Dictionary<string, string[]>
    {
        ["shared.weight"] = ["encoder.embed_tokens.weight"],
        ["encoder.embed_tokens.weight"] = ["shared.weight"],
    };

    /// <summary>last_hidden_state [B, L, D] for token ids [B, L] with an optional attention mask [B, L] (1 = keep).</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, List<Tensor>? hiddenStates = null, Tensor? recordPositionBias = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        if (inputIds.dim() != 2) throw new ArgumentException($"Token ids must be [B, L]; got [{string.Join(", ", inputIds.shape)}].", nameof(inputIds));
        if (attentionMask is not null && !attentionMask.shape.SequenceEqual(inputIds.shape))
            throw new ArgumentException($"The attention mask [{string.Join(", ", attentionMask.shape)}] must match the ids [{string.Join(", ", inputIds.shape)}].", nameof(attentionMask));
        using (var check = inputIds.max())
            if (check.item<long>() >= Config.VocabSize) throw new ArgumentOutOfRangeException(nameof(inputIds), $"A token id is outside the vocabulary of {Config.VocabSize}.");
        return encoder.Forward(inputIds, attentionMask, hiddenStates, recordPositionBias);
    }
}
