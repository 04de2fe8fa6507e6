namespace Diffusion.Net.Samples.Web;

/// <summary>The web sample's settings (section <c>DiffusionWeb</c> of appsettings.json; environment: <c>DiffusionWeb__ModelPath</c>, …).</summary>
public sealed class WebSampleOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "DiffusionWeb";

    /// <summary>The class-conditioned weights: the MNIST sample's main job writes <c>out/mnist/quick/checkpoint/model.safetensors</c> (relative to where it ran).</summary>
    public string ModelPath { get; set; } = Path.Combine("out", "mnist", "quick", "checkpoint", "model.safetensors");

    /// <summary>The recipe the weights were (or will be) trained with.</summary>
    public string Recipe { get; set; } = "quick";

    /// <summary>The network width D when it differs from the recipe's (e.g. a tiny test model).</summary>
    public int? Hidden { get; set; }

    /// <summary>Train <see cref="Recipe"/> into <see cref="ModelPath"/>'s folder on start when the weights are missing (the quick preset: about 7 minutes on 2 cores).</summary>
    public bool TrainIfMissing { get; set; } = true;

    /// <summary>Override of the recipe's epochs for training on start.</summary>
    public int? TrainEpochs { get; set; }

    /// <summary>Train on at most this many digits per epoch (null = all 60,000).</summary>
    public int? TrainItemsPerEpoch { get; set; }

    /// <summary>A folder holding the MNIST IDX files (null = the per-user cache, downloading if needed).</summary>
    public string? MnistDirectory { get; set; }

    /// <summary>The sampler of generated digits (edits and anagrams use the Part A chains).</summary>
    public string Sampler { get; set; } = "dpm++2m-10";

    /// <summary>Generation requests served at once; the rest queue.</summary>
    public int MaxConcurrentRequests { get; set; } = 1;

    /// <summary>Requests that may wait for a slot; beyond that the server answers 429 Too Many Requests.</summary>
    public int QueueLimit { get; set; } = 8;

    /// <summary>The largest accepted upload (image plus mask), in bytes.</summary>
    public long MaxUploadBytes { get; set; } = 1024 * 1024;

    /// <summary>The most images one request may make.</summary>
    public int MaxImages { get; set; } = 40;
}
