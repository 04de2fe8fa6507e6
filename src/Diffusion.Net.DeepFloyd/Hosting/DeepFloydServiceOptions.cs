namespace Diffusion.Net.DeepFloyd.Hosting;

/// <summary>Bindable settings of <see cref="DeepFloydModelProvider"/>.</summary>
public sealed class DeepFloydServiceOptions
{
    /// <summary>The stage I pipeline folder (e.g. IF-I-L-v1.0). Required.</summary>
    public string? Stage1Folder { get; set; }

    /// <summary>The stage II pipeline folder (optional).</summary>
    public string? Stage2Folder { get; set; }

    /// <summary>A prompt-embedding store (.safetensors) or CS180's prompt_embeds_dict.pth (optional).</summary>
    public string? EmbeddingsPath { get; set; }

    /// <summary>Load weights in bfloat16 instead of float32.</summary>
    public bool Bf16 { get; set; }

    /// <summary>The weight variant, e.g. "fp16".</summary>
    public string? Variant { get; set; }
}
