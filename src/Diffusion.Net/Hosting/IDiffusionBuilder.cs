namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The builder returned by <see cref="DiffusionServiceCollectionExtensions.AddDiffusion"/>.</summary>
public interface IDiffusionBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}
