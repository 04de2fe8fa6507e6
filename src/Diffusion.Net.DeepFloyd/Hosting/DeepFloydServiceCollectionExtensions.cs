using Diffusion.Net.DeepFloyd.Hosting;
using Diffusion.Net.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static TorchSharp.torch;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the DeepFloyd package on a Diffusion.Net builder.</summary>
public static class DeepFloydServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="DeepFloydModelProvider"/>; the folders, the text-encoder request and the runtime's dtype are
    /// validated at start. The stages load on <c>DiffusionOptions.Device</c> in <c>DiffusionOptions.DType</c>.
    /// </summary>
    public static IDiffusionBuilder AddDeepFloyd(this IDiffusionBuilder builder, Action<DeepFloydServiceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<DeepFloydServiceOptions>()
            .Configure(configure)
            .Validate(o => !string.IsNullOrEmpty(o.Stage1Folder), "DeepFloydServiceOptions.Stage1Folder is required.")
            .Validate(o => o.Stage1Folder is null || Directory.Exists(Path.Combine(o.Stage1Folder, "unet")), "DeepFloydServiceOptions.Stage1Folder has no unet/ folder.")
            .Validate(o => o.Stage2Folder is null || Directory.Exists(Path.Combine(o.Stage2Folder, "unet")), "DeepFloydServiceOptions.Stage2Folder has no unet/ folder.")
            .Validate(o => o.EmbeddingsPath is null || File.Exists(o.EmbeddingsPath), "DeepFloydServiceOptions.EmbeddingsPath does not exist.")
            .Validate(o => !o.LoadTextEncoder || o.Stage1Folder is null
                           || (Directory.Exists(Path.Combine(o.Stage1Folder, "text_encoder")) && Directory.Exists(Path.Combine(o.Stage1Folder, "tokenizer"))),
                "DeepFloydServiceOptions.LoadTextEncoder is set but Stage1Folder has no text_encoder/ and tokenizer/ folders.")
            .Validate<DiffusionRuntime>((o, runtime) => o.Bf16 || runtime.DType is ScalarType.Float32 or ScalarType.BFloat16,
                "DeepFloyd IF loads weights in float32 or bfloat16: set DiffusionOptions.DType to one of them (or DeepFloydServiceOptions.Bf16).")
            .Validate(o => !o.PackTextEncoderWeights || o.LoadTextEncoder, "DeepFloydServiceOptions.PackTextEncoderWeights needs LoadTextEncoder.")
            .Validate<DiffusionRuntime>((o, runtime) => !o.PackTextEncoderWeights || (!o.Bf16 && runtime.DType == ScalarType.Float32 && runtime.Device.type == TorchSharp.DeviceType.CPU),
                "DeepFloydServiceOptions.PackTextEncoderWeights packs float32 weights on the CPU: DiffusionOptions.DType must be Float32 and the device the CPU, without Bf16.")
            .Validate<DiffusionRuntime>((o, runtime) => !o.PackUNetConvolutionWeights || runtime.Device.type == TorchSharp.DeviceType.CPU,
                "DeepFloydServiceOptions.PackUNetConvolutionWeights packs weights on the CPU: DiffusionOptions.Device must be the CPU.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<DeepFloydModelProvider>();
        return builder;
    }
}
