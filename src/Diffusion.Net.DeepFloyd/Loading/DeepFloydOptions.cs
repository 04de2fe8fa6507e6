using Diffusion.Net.IO;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Loading;

/// <summary>How DeepFloyd IF weights are loaded.</summary>
public sealed record DeepFloydOptions
{
    /// <summary>float32 weights on the CPU.</summary>
    public static DeepFloydOptions Float32 { get; } = new();

    /// <summary>bfloat16 weights on the CPU (half the memory; 2–3× faster on CPUs with AVX-512 BF16).</summary>
    public static DeepFloydOptions Bf16 { get; } = new() { DType = ScalarType.BFloat16 };

    /// <summary>The weight dtype: float32 or bfloat16 (float16 is refused on the CPU, where it is 50–350× slower).</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>The device (CPU by default; CUDA needs a TorchSharp CUDA package).</summary>
    public Device? Device { get; init; }

    /// <summary>
    /// The weight-file variant, e.g. "fp16" for <c>diffusion_pytorch_model.fp16.safetensors</c>. Null takes the
    /// default file and falls back to the fp16 variant when that is all the folder has.
    /// </summary>
    public string? Variant { get; init; }

    /// <summary>
    /// Load the T5 text encoder and tokenizer when the folder has them (<c>text_encoder/</c>, <c>tokenizer/</c>; the
    /// published stage I folders do), so the pipelines take prompt strings. T5-v1.1-XXL's encoder has 4,762,310,656
    /// parameters (4.76 B, counted from its 220 state-dict entries, the tied embedding once): about 9.5 GB in
    /// <see cref="ScalarType.BFloat16"/> and 19.0 GB in <see cref="ScalarType.Float32"/>, in the same dtype and on the
    /// same device as the UNet, on top of it (IF-I-XL 4.3 B, IF-I-L 0.94 B, IF-I-M 0.37 B parameters). Without it, use
    /// precomputed embeddings (<c>PromptEmbeddings</c>, through <c>IFPromptEncoder</c>).
    /// </summary>
    public bool LoadTextEncoder { get; init; }

    /// <summary>
    /// Pack the T5 encoder's linear weights into MKL's GEMM layout after loading (<see cref="Text.T5EncoderModel.PackLinearWeights"/>;
    /// default false): faster float32 prompt encoding on the CPU for 7–29% more memory in those weights, and an encoder
    /// that then only runs forward. Needs <see cref="LoadTextEncoder"/> and float32 on the CPU; where libtorch has no MKL
    /// packed GEMM the encoder stays as loaded.
    /// </summary>
    public bool PackTextEncoderWeights { get; init; }

    /// <summary>
    /// Have the UNet's convolutions reorder their weights into oneDNN's layout once, in the first forward pass, instead of
    /// on every call (<see cref="Models.IFUNet.PackConvolutionWeights"/>; default false): the same outputs, bit for bit
    /// at that pass's shape, 4–10% faster on the CPU (<c>docs/performance.md</c>), in about the weights' memory,
    /// and a UNet that then only runs forward. Needs the CPU; where libtorch cannot pack (see that method) the UNet
    /// stays as loaded.
    /// </summary>
    public bool PackUNetConvolutionWeights { get; init; }

    /// <summary>Budgets for the configs and tokenizer model read while loading (default <see cref="InputLimits.Default"/>).</summary>
    public InputLimits Limits { get; init; } = InputLimits.Default;

    /// <summary>Throws on an unsupported combination.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Limits);
        Limits.Validate();
        if (DType is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            throw new ArgumentOutOfRangeException(nameof(DType), DType, "Weights load as float32, bfloat16 or (on CUDA) float16.");
        if (DType == ScalarType.Float16 && (Device is null || Device.type == TorchSharp.DeviceType.CPU))
            throw new ArgumentException("float16 on the CPU is 50–350× slower than float32; use DeepFloydOptions.Bf16 instead.", nameof(DType));
        if (PackTextEncoderWeights && (DType != ScalarType.Float32 || (Device is not null && Device.type != TorchSharp.DeviceType.CPU)))
            throw new ArgumentException($"PackTextEncoderWeights packs float32 weights on the CPU; these options load {DType} on {Device?.ToString() ?? "cpu"}.", nameof(PackTextEncoderWeights));
        if (PackUNetConvolutionWeights && Device is not null && Device.type != TorchSharp.DeviceType.CPU)
            throw new ArgumentException($"PackUNetConvolutionWeights packs weights on the CPU; these options load on {Device}.", nameof(PackUNetConvolutionWeights));
        if (Variant is not null && (Variant.Length == 0 || Variant.IndexOfAny(['/', '\\', '.']) >= 0))
            throw new ArgumentException($"'{Variant}' is not a valid variant name (e.g. \"fp16\").", nameof(Variant));
    }
}
