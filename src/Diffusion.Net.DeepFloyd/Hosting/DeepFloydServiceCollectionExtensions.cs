using Diffusion.Net.DeepFloyd.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the DeepFloyd package on a Diffusion.Net builder.</summary>
public static class DeepFloydServiceCollectionExtensions
{
    /// <summary>Adds <see cref="DeepFloydModelProvider"/>; the folders are validated at start.</summary>
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
            .ValidateOnStart();
        builder.Services.TryAddSingleton<DeepFloydModelProvider>();
        return builder;
    }
}
