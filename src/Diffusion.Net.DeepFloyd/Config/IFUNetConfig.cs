using Diffusion.Net.IO;

namespace Diffusion.Net.DeepFloyd.Config;

/// <summary>
/// The parts of a diffusers <c>UNet2DConditionModel</c> config that DeepFloyd IF uses (stage I and stage II), read
/// from <c>unet/config.json</c>; never hard-coded. Options IF does not use are rejected by key, so an unsupported
/// checkpoint fails with a clear message instead of computing something else.
/// </summary>
public sealed record IFUNetConfig
{
    /// <summary>Input channels (3 for stage I, 6 for stage II).</summary>
    public int InChannels { get; init; } = 3;

    /// <summary>Output channels (6: ε and the learned-range variance).</summary>
    public int OutChannels { get; init; } = 6;

    /// <summary>Image size the model was trained at.</summary>
    public int SampleSize { get; init; } = 64;

    /// <summary>Channels per resolution level.</summary>
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [];

    /// <summary>Resnets per down block (the up blocks have one more).</summary>
    public IReadOnlyList<int> LayersPerBlock { get; init; } = [];

    /// <summary>ResnetDownsampleBlock2D or SimpleCrossAttnDownBlock2D per level.</summary>
    public IReadOnlyList<string> DownBlockTypes { get; init; } = [];

    /// <summary>SimpleCrossAttnUpBlock2D or ResnetUpsampleBlock2D per level (deepest first).</summary>
    public IReadOnlyList<string> UpBlockTypes { get; init; } = [];

    /// <summary>Per-head width of the SimpleCrossAttn blocks (heads = channels / this).</summary>
    public int AttentionHeadDim { get; init; } = 64;

    /// <summary>The projected text width consumed by cross-attention.</summary>
    public int CrossAttentionDim { get; init; }

    /// <summary>The raw text-encoder width (4096 for T5-XXL).</summary>
    public int EncoderHidDim { get; init; }

    /// <summary>Heads of the text-to-time attention pooling.</summary>
    public int AdditionEmbedTypeNumHeads { get; init; } = 64;

    /// <summary>GroupNorm groups.</summary>
    public int NormNumGroups { get; init; } = 32;

    /// <summary>GroupNorm epsilon.</summary>
    public double NormEps { get; init; } = 1e-5;

    /// <summary>Width of the time embedding (null: 4 × BlockOutChannels[0]).</summary>
    public int? TimeEmbeddingDim { get; init; }

    /// <summary>"gelu" or null: the activation applied once to the summed embedding (stage II).</summary>
    public string? TimeEmbeddingActFn { get; init; }

    /// <summary>Whether resnets skip the activation on the embedding (stage II).</summary>
    public bool ResnetSkipTimeAct { get; init; }

    /// <summary>Divisor of down/up resnet outputs.</summary>
    public double ResnetOutScaleFactor { get; init; } = 1.0;

    /// <summary>Divisor of mid-block resnet outputs.</summary>
    public double MidBlockScaleFactor { get; init; } = 1.0;

    /// <summary>"timestep" (stage II noise-level embedding) or null.</summary>
    public string? ClassEmbedType { get; init; }

    /// <summary>Sinusoid flip (cos first).</summary>
    public bool FlipSinToCos { get; init; } = true;

    /// <summary>Sinusoid frequency shift.</summary>
    public double FreqShift { get; init; }

    /// <summary>Where the config came from.</summary>
    public string Source { get; init; } = "(code)";

    /// <summary>The time-embedding width in effect.</summary>
    public int TimeEmbedDim => TimeEmbeddingDim ?? 4 * BlockOutChannels[0];

    /// <summary>Whether this is a stage II (super-resolution) network.</summary>
    public bool IsSuperResolution => ClassEmbedType == "timestep";

    /// <summary>Reads and validates <c>config.json</c>.</summary>
    /// <exception cref="ModelConfigException">Malformed, or an option IF does not use.</exception>
    public static IFUNetConfig Load(string path) => Load(path, null);

    /// <summary>Reads and validates <c>config.json</c> within <paramref name="limits"/> (sizes, layers, estimated parameters).</summary>
    /// <exception cref="ModelConfigException">Malformed, out of range, over a budget, or an option IF does not use.</exception>
    public static IFUNetConfig Load(string path, InputLimits? limits)
    {
        limits ??= InputLimits.Default;
        var j = JsonConfig.Load(path, limits);
        var cls = j.String("_class_name");
        if (cls is not null && cls != "UNet2DConditionModel") throw new ModelConfigException(path, "_class_name", $"'{cls}' is not a UNet2DConditionModel");
        var channels = j.IntList("block_out_channels", 0);
        var down = j.StringList("down_block_types");
        var config = new IFUNetConfig
        {
            Source = path,
            InChannels = j.Int("in_channels", 4),
            OutChannels = j.Int("out_channels", 4),
            SampleSize = j.Int("sample_size", 64),
            BlockOutChannels = channels,
            LayersPerBlock = j.IntList("layers_per_block", channels.Length),
            DownBlockTypes = down,
            UpBlockTypes = j.StringList("up_block_types"),
            AttentionHeadDim = j.Int("attention_head_dim", 8),
            CrossAttentionDim = j.Int("cross_attention_dim"),
            EncoderHidDim = j.Int("encoder_hid_dim"),
            AdditionEmbedTypeNumHeads = j.Int("addition_embed_type_num_heads", 64),
            NormNumGroups = j.Int("norm_num_groups", 32),
            NormEps = j.Double("norm_eps", 1e-5),
            TimeEmbeddingDim = j.IntOrNull("time_embedding_dim"),
            TimeEmbeddingActFn = j.String("time_embedding_act_fn"),
            ResnetSkipTimeAct = j.Bool("resnet_skip_time_act", false),
            ResnetOutScaleFactor = j.Double("resnet_out_scale_factor", 1.0),
            MidBlockScaleFactor = j.Double("mid_block_scale_factor", 1.0),
            ClassEmbedType = j.String("class_embed_type"),
            FlipSinToCos = j.Bool("flip_sin_to_cos", true),
            FreqShift = j.Double("freq_shift", 0),
        };
        // Options IF fixes: anything else would silently compute another network.
        Require(j, "act_fn", "gelu");
        Require(j, "resnet_time_scale_shift", "scale_shift");
        Require(j, "encoder_hid_dim_type", "text_proj");
        Require(j, "addition_embed_type", "text");
        Require(j, "cross_attention_norm", "group_norm");
        Require(j, "mid_block_type", "UNetMidBlock2DSimpleCrossAttn");
        Require(j, "time_embedding_type", "positional");
        RequireAbsent(j, "time_cond_proj_dim");
        RequireAbsent(j, "timestep_post_act");
        RequireAbsent(j, "addition_time_embed_dim");
        if (j.Bool("only_cross_attention", false)) throw new ModelConfigException(path, "only_cross_attention", "true is not supported (IF uses false)");
        if (j.Bool("class_embeddings_concat", false)) throw new ModelConfigException(path, "class_embeddings_concat", "true is not supported");
        if (j.Bool("center_input_sample", false)) throw new ModelConfigException(path, "center_input_sample", "true is not supported");
        if (j.Int("conv_in_kernel", 3) != 3 || j.Int("conv_out_kernel", 3) != 3) throw new ModelConfigException(path, "conv_in_kernel", "only 3×3 input/output convolutions are supported");
        // diffusers options this UNet does not implement: a value other than IF's would silently compute another network.
        foreach (var key in new[] { "upcast_attention", "dual_cross_attention", "use_linear_projection", "mid_block_only_cross_attention" })
            if (j.Bool(key, false)) throw new ModelConfigException(path, key, "true is not supported (DeepFloyd IF uses false)");
        Require(j, "attention_type", "default");
        foreach (var key in new[] { "num_class_embeds", "num_attention_heads", "projection_class_embeddings_input_dim", "reverse_transformer_layers_per_block" })
            RequireAbsent(j, key);
        if (j.Has("transformer_layers_per_block") && j.Int("transformer_layers_per_block") != 1)
            throw new ModelConfigException(path, "transformer_layers_per_block", "only 1 is supported (IF's SimpleCrossAttn blocks have no transformer layers)");
        if (j.Has("downsample_padding") && j.Int("downsample_padding") != 1) throw new ModelConfigException(path, "downsample_padding", "only 1 is supported");
        config.Validate(limits);
        return config;
    }

    /// <summary>Checks the structure (block counts, types, divisibility) within the default <see cref="InputLimits"/>.</summary>
    public void Validate() => Validate(null);

    /// <summary>
    /// Checks the structure (block counts, types, divisibility), every size against <paramref name="limits"/>, and the
    /// parameter count the config implies, before anything is built: a config alone must not make a 7 GB model.
    /// </summary>
    public void Validate(InputLimits? limits)
    {
        limits ??= InputLimits.Default;
        int n = BlockOutChannels.Count;
        int maxWidth = limits.MaxWidth;
        if (n == 0 || n > 16 || BlockOutChannels.Any(c => c < 1 || c > maxWidth)) throw new ModelConfigException(Source, "block_out_channels", $"must be 1 to 16 integers in [1, {maxWidth}]");
        if (LayersPerBlock.Count != n || LayersPerBlock.Any(l => l < 1 || l > limits.MaxLayers)) throw new ModelConfigException(Source, "layers_per_block", $"needs {n} entries in [1, {limits.MaxLayers}]");
        foreach (var (key, value) in new[] { ("in_channels", InChannels), ("out_channels", OutChannels), ("sample_size", SampleSize), ("cross_attention_dim", CrossAttentionDim),
                     ("encoder_hid_dim", EncoderHidDim), ("addition_embed_type_num_heads", AdditionEmbedTypeNumHeads), ("norm_num_groups", NormNumGroups),
                     ("attention_head_dim", AttentionHeadDim), ("time_embedding_dim", TimeEmbeddingDim ?? 1) })
            if (value < 1 || value > maxWidth) throw new ModelConfigException(Source, key, $"{value} is outside [1, {maxWidth}]");
        if (!(NormEps > 0 && NormEps < 1)) throw new ModelConfigException(Source, "norm_eps", "must lie in (0, 1)");
        foreach (var (key, value) in new[] { ("resnet_out_scale_factor", ResnetOutScaleFactor), ("mid_block_scale_factor", MidBlockScaleFactor) })
            if (!(double.IsFinite(value) && value > 0)) throw new ModelConfigException(Source, key, "must be a positive finite number");
        if (!double.IsFinite(FreqShift)) throw new ModelConfigException(Source, "freq_shift", "must be finite");
        // A generous estimate (resnets 2 × 3×3 convs, attention, embeddings), in floating point so nothing overflows.
        double temb = TimeEmbeddingDim ?? 4.0 * BlockOutChannels[0];
        double parameters = temb * temb * 2 + (double)EncoderHidDim * CrossAttentionDim + (double)EncoderHidDim * temb;
        for (int i = 0; i < n; i++)
        {
            double c = BlockOutChannels[i];
            parameters += (3.0 * LayersPerBlock[i] + 4) * (18 * c * c + c * temb + 4 * c * c + 2 * c * CrossAttentionDim);
        }
        if (parameters > limits.MaxParameters)
            throw new ModelConfigException(Source, null, $"the config implies about {parameters:0.##e0} parameters, more than the budget of {limits.MaxParameters} (InputLimits.MaxParameters)");
        if (DownBlockTypes.Count != n) throw new ModelConfigException(Source, "down_block_types", $"has {DownBlockTypes.Count} entries for {n} levels");
        if (UpBlockTypes.Count != n) throw new ModelConfigException(Source, "up_block_types", $"has {UpBlockTypes.Count} entries for {n} levels");
        foreach (var t in DownBlockTypes)
            if (t is not ("ResnetDownsampleBlock2D" or "SimpleCrossAttnDownBlock2D")) throw new ModelConfigException(Source, "down_block_types", $"'{t}' is not a block IF uses (ResnetDownsampleBlock2D, SimpleCrossAttnDownBlock2D)");
        foreach (var t in UpBlockTypes)
            if (t is not ("ResnetUpsampleBlock2D" or "SimpleCrossAttnUpBlock2D")) throw new ModelConfigException(Source, "up_block_types", $"'{t}' is not a block IF uses (ResnetUpsampleBlock2D, SimpleCrossAttnUpBlock2D)");
        if (AttentionHeadDim < 1) throw new ModelConfigException(Source, "attention_head_dim", "must be positive");
        foreach (var c in BlockOutChannels)
        {
            if (c % NormNumGroups != 0) throw new ModelConfigException(Source, "norm_num_groups", $"{NormNumGroups} groups do not divide {c} channels");
        }
        if (CrossAttentionDim % 32 != 0) throw new ModelConfigException(Source, "cross_attention_dim", $"{CrossAttentionDim} is not divisible by the 32 groups of the cross-attention norm");
        if (EncoderHidDim % AdditionEmbedTypeNumHeads != 0) throw new ModelConfigException(Source, "addition_embed_type_num_heads", $"{AdditionEmbedTypeNumHeads} heads do not divide {EncoderHidDim}");
        if (ClassEmbedType is not (null or "timestep")) throw new ModelConfigException(Source, "class_embed_type", $"'{ClassEmbedType}' is not supported (null or \"timestep\")");
        if (TimeEmbeddingActFn is not (null or "gelu")) throw new ModelConfigException(Source, "time_embedding_act_fn", $"'{TimeEmbeddingActFn}' is not supported (null or \"gelu\")");
        if (OutChannels != 2 * InChannels && OutChannels != InChannels && !(IsSuperResolution && OutChannels == InChannels))
            throw new ModelConfigException(Source, "out_channels", $"{OutChannels} output channels do not fit {InChannels} input channels");
    }

    /// <summary>Channels of the noisy sample x_t (stage II also takes the upscaled image: in_channels / 2).</summary>
    public int SampleChannels => IsSuperResolution ? InChannels / 2 : InChannels;

    private static void Require(JsonConfig j, string key, string value)
    {
        var v = j.String(key);
        if (v is not null && v != value) throw new ModelConfigException(j.Source, key, $"'{v}' is not supported (DeepFloyd IF uses \"{value}\")");
    }

    private static void RequireAbsent(JsonConfig j, string key)
    {
        if (j.Has(key)) throw new ModelConfigException(j.Source, key, "must be null for DeepFloyd IF");
    }
}
