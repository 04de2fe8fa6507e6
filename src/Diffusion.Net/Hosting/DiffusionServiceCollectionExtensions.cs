using Diffusion.Net.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Diffusion.Net in a service collection.</summary>
public static class DiffusionServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="DiffusionOptions"/> (validated at start) and the <see cref="DiffusionRuntime"/> singleton, and
    /// returns a builder that model packages extend (<c>.AddMnist()</c>, <c>.AddDeepFloyd()</c>).
    /// </summary>
    public static IDiffusionBuilder AddDiffusion(this IServiceCollection services, Action<DiffusionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<DiffusionOptions>();
        if (configure is not null) options.Configure(configure);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DiffusionOptions>, DiffusionOptionsValidator>());
        services.TryAddSingleton<DiffusionRuntime>();
        return new DiffusionBuilder(services);
    }

    private sealed class DiffusionBuilder(IServiceCollection services) : IDiffusionBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
