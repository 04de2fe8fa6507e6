namespace Diffusion.Net.DeepFloyd.Hosting;

/// <summary>
/// Bindable settings of <see cref="DeepFloydModelProvider"/>. The device and (unless <see cref="Bf16"/> is set) the
/// weight dtype come from <c>DiffusionOptions.Device</c> and <c>DiffusionOptions.DType</c>.
/// </summary>
public sealed class DeepFloydServiceOptions
{
    /// <summary>The stage I pipeline folder (e.g. IF-I-L-v1.0). Required.</summary>
    public string? Stage1Folder { get; set; }

    /// <summary>The stage II pipeline folder (optional).</summary>
    public string? Stage2Folder { get; set; }

    /// <summary>A prompt-embedding store (.safetensors) or CS180's prompt_embeds_dict.pth (optional).</summary>
    public string? EmbeddingsPath { get; set; }

    /// <summary>
    /// Load stage I's T5-v1.1-XXL text encoder and tokenizer, so prompts can be plain strings. The encoder has
    /// 4,762,310,656 parameters: about 9.5 GB of memory in bfloat16 and 19.0 GB in float32, on top of the UNets.
    /// Without it, prompts must be in the store at <see cref="EmbeddingsPath"/>.
    /// </summary>
    public bool LoadTextEncoder { get; set; }

    /// <summary>
    /// Pack the loaded T5 encoder's linear weights for MKL (<see cref="Loading.DeepFloydOptions.PackTextEncoderWeights"/>):
    /// faster float32 prompt encoding on the CPU; needs <see cref="LoadTextEncoder"/> and float32 on the CPU.
    /// </summary>
    public bool PackTextEncoderWeights { get; set; }

    /// <summary>
    /// Pack both stages' UNet convolution weights for oneDNN at their first forward pass
    /// (<see cref="Loading.DeepFloydOptions.PackUNetConvolutionWeights"/>): the same outputs, faster on the CPU, in the
    /// weights' memory; the UNets then only run forward. Needs the CPU.
    /// </summary>
    public bool PackUNetConvolutionWeights { get; set; }

    /// <summary>Load weights in bfloat16 whatever <c>DiffusionOptions.DType</c> says.</summary>
    public bool Bf16 { get; set; }

    /// <summary>The weight variant, e.g. "fp16".</summary>
    public string? Variant { get; set; }
}
