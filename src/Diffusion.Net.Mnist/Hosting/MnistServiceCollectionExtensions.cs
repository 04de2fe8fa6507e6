using Diffusion.Net.Mnist.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the MNIST package on a Diffusion.Net builder.</summary>
public static class MnistServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="MnistDataProvider"/> with where MNIST comes from (validated at start), and
    /// <see cref="MnistModelProvider"/>, which places the networks on the configured device and dtype.
    /// </summary>
    public static IDiffusionBuilder AddMnist(this IDiffusionBuilder builder, Action<MnistDataOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Services.AddOptions<MnistDataOptions>();
        if (configure is not null) options.Configure(configure);
        options.Validate(o => o.Directory is null || System.IO.Directory.Exists(o.Directory), "MnistDataOptions.Directory does not exist.")
               .Validate(o => o.TimeoutSeconds > 0, "MnistDataOptions.TimeoutSeconds must be positive.")
               .ValidateOnStart();
        builder.Services.TryAddSingleton<MnistDataProvider>();
        builder.Services.TryAddSingleton<MnistModelProvider>();
        return builder;
    }
}
