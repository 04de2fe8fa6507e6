using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Diffusion.Net.DeepFloyd.Hosting;

/// <summary>Loads the configured DeepFloyd stages and prompt embeddings once, on first use (registered by <c>AddDeepFloyd()</c>).</summary>
public sealed class DeepFloydModelProvider(IOptions<DeepFloydServiceOptions> options, ILogger<DeepFloydModelProvider>? logger = null) : IDisposable
{
    private readonly DeepFloydServiceOptions _options = options?.Value ?? throw new ArgumentNullException(nameof(options));
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DeepFloydModel? _stage1;
    private DeepFloydModel? _stage2;
    private PromptEmbeddings? _prompts;

    private DeepFloydOptions LoadOptions => (_options.Bf16 ? DeepFloydOptions.Bf16 : DeepFloydOptions.Float32) with { Variant = _options.Variant };

    /// <summary>Stage I.</summary>
    public async Task<DeepFloydModel> Stage1Async(CancellationToken cancellationToken = default)
        => await OnceAsync(() => _stage1, m => _stage1 = m, () => DeepFloydModel.LoadAsync(_options.Stage1Folder!, LoadOptions, logger, cancellationToken), cancellationToken).ConfigureAwait(false);

    /// <summary>Stage II.</summary>
    /// <exception cref="InvalidOperationException">No stage II folder is configured.</exception>
    public async Task<DeepFloydModel> Stage2Async(CancellationToken cancellationToken = default)
    {
        if (_options.Stage2Folder is null) throw new InvalidOperationException("No stage II folder is configured (DeepFloydServiceOptions.Stage2Folder).");
        return await OnceAsync(() => _stage2, m => _stage2 = m, () => DeepFloydModel.LoadAsync(_options.Stage2Folder, LoadOptions, logger, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The prompt embeddings.</summary>
    /// <exception cref="InvalidOperationException">No embeddings file is configured.</exception>
    public async Task<PromptEmbeddings> PromptsAsync(CancellationToken cancellationToken = default)
    {
        var path = _options.EmbeddingsPath ?? throw new InvalidOperationException("No prompt embeddings are configured (DeepFloydServiceOptions.EmbeddingsPath).");
        return await OnceAsync(() => _prompts, p => _prompts = p,
            () => Task.Run(() => path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) ? PromptEmbeddings.ImportPth(path) : PromptEmbeddings.Load(path), cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> OnceAsync<T>(Func<T?> get, Action<T> set, Func<Task<T>> load, CancellationToken cancellationToken) where T : class
    {
        if (get() is { } existing) return existing;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (get() is { } loaded) return loaded;
            var value = await load().ConfigureAwait(false);
            set(value);
            return value;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stage1?.Dispose();
        _stage2?.Dispose();
        _prompts?.Dispose();
        _gate.Dispose();
    }
}
