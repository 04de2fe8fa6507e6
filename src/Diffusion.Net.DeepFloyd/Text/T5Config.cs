using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.IO;

namespace Diffusion.Net.DeepFloyd.Text;

/// <summary>
/// The T5 encoder settings (transformers' T5Config, as in DeepFloyd's <c>text_encoder/config.json</c>); T5 v1.1
/// (gated GELU) only, which IF uses.
/// </summary>
public sealed record T5Config
{
    /// <summary>Embedding rows.</summary>
    public int VocabSize { get; init; } = 32128;

    /// <summary>Model width.</summary>
    public int DModel { get; init; } = 4096;

    /// <summary>Width per head.</summary>
    public int DKv { get; init; } = 64;

    /// <summary>Feed-forward width.</summary>
    public int DFf { get; init; } = 10240;

    /// <summary>Encoder layers.</summary>
    public int NumLayers { get; init; } = 24;

    /// <summary>Attention heads.</summary>
    public int NumHeads { get; init; } = 64;

    /// <summary>Relative-position buckets.</summary>
    public int RelativeAttentionNumBuckets { get; init; } = 32;

    /// <summary>Relative-position maximum distance.</summary>
    public int RelativeAttentionMaxDistance { get; init; } = 128;

    /// <summary>RMSNorm epsilon.</summary>
    public double LayerNormEpsilon { get; init; } = 1e-6;

    /// <summary>Where the config came from.</summary>
    public string Source { get; init; } = "(code)";

    /// <summary>Reads and validates <c>config.json</c>.</summary>
    public static T5Config Load(string path) => Load(path, null);

    /// <summary>Reads and validates <c>config.json</c> within <paramref name="limits"/> (sizes, layers, estimated parameters).</summary>
    /// <exception cref="ModelConfigException">Malformed, out of range, over a budget, or not T5 v1.1.</exception>
    public static T5Config Load(string path, InputLimits? limits)
    {
        limits ??= InputLimits.Default;
        var j = JsonConfig.Load(path, limits);
        var c = new T5Config
        {
            Source = path,
            VocabSize = j.Int("vocab_size"),
            DModel = j.Int("d_model"),
            DKv = j.Int("d_kv"),
            DFf = j.Int("d_ff"),
            NumLayers = j.Int("num_layers"),
            NumHeads = j.Int("num_heads"),
            RelativeAttentionNumBuckets = j.Int("relative_attention_num_buckets", 32),
            RelativeAttentionMaxDistance = j.Int("relative_attention_max_distance", 128),
            LayerNormEpsilon = j.Double("layer_norm_epsilon", 1e-6),
        };
        var ff = j.String("feed_forward_proj", "relu");
        if (ff != "gated-gelu") throw new ModelConfigException(path, "feed_forward_proj", $"'{ff}' is not supported (T5 v1.1 uses \"gated-gelu\")");
        var model = j.String("model_type", "t5");
        if (model != "t5") throw new ModelConfigException(path, "model_type", $"'{model}' is not a T5 model");
        c.Validate(limits);
        return c;
    }

    /// <summary>Checks the sizes within the default <see cref="InputLimits"/>.</summary>
    public void Validate() => Validate(null);

    /// <summary>Checks every size against <paramref name="limits"/> and the parameter count the config implies, before anything is built.</summary>
    public void Validate(InputLimits? limits)
    {
        limits ??= InputLimits.Default;
        foreach (var (name, value) in new[] { ("vocab_size", VocabSize), ("d_model", DModel), ("d_kv", DKv), ("d_ff", DFf), ("num_heads", NumHeads), ("relative_attention_num_buckets", RelativeAttentionNumBuckets), ("relative_attention_max_distance", RelativeAttentionMaxDistance) })
            if (value < 1 || value > limits.MaxWidth) throw new ModelConfigException(Source, name, $"{value} is outside [1, {limits.MaxWidth}]");
        if (NumLayers < 1 || NumLayers > limits.MaxLayers) throw new ModelConfigException(Source, "num_layers", $"{NumLayers} is outside [1, {limits.MaxLayers}]");
        if (!(LayerNormEpsilon > 0 && LayerNormEpsilon < 1)) throw new ModelConfigException(Source, "layer_norm_epsilon", "must lie in (0, 1)");
        double inner = (double)NumHeads * DKv;
        double parameters = (double)VocabSize * DModel + NumLayers * (4 * DModel * inner + 3.0 * DModel * DFf + 2.0 * DModel) + (double)RelativeAttentionNumBuckets * NumHeads;
        if (parameters > limits.MaxParameters)
            throw new ModelConfigException(Source, null, $"the config implies about {parameters:0.##e0} parameters, more than the budget of {limits.MaxParameters} (InputLimits.MaxParameters)");
        if (RelativeAttentionNumBuckets % 2 != 0) throw new ModelConfigException(Source, "relative_attention_num_buckets", "must be even (bidirectional buckets)");
    }
}
