using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Hosting;

/// <summary>
/// Loads the configured DeepFloyd stages and prompt embeddings once, on first use (registered by <c>AddDeepFloyd()</c>),
/// on the device and in the dtype of <see cref="DiffusionRuntime"/> (<c>DiffusionOptions.Device</c> / <c>DType</c>;
/// <see cref="DeepFloydServiceOptions.Bf16"/> forces bfloat16). It owns what it loaded and disposes it with the container.
/// </summary>
public sealed class DeepFloydModelProvider : IDisposable
{
    private readonly DeepFloydServiceOptions _options;
    private readonly ILogger<DeepFloydModelProvider>? _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DeepFloydModel? _stage1;
    private DeepFloydModel? _stage2;
    private PromptEmbeddings? _prompts;

    /// <summary>Creates the provider; without a <paramref name="runtime"/> it loads float32 weights on the CPU.</summary>
    /// <exception cref="NotSupportedException">The runtime's dtype is not one IF weights load in (float64).</exception>
    public DeepFloydModelProvider(IOptions<DeepFloydServiceOptions> options, ILogger<DeepFloydModelProvider>? logger = null, DiffusionRuntime? runtime = null)
    {
        _options = options?.Value ?? throw new ArgumentNullException(nameof(options));
        _logger = logger;
        LoadOptions = CreateLoadOptions(_options, runtime);
    }

    /// <summary>How the stages are loaded (device, dtype, variant); the text encoder is loaded with stage I only.</summary>
    public DeepFloydOptions LoadOptions { get; }

    /// <summary>Stage I (with its T5 encoder when <see cref="DeepFloydServiceOptions.LoadTextEncoder"/> is set).</summary>
    public async Task<DeepFloydModel> Stage1Async(CancellationToken cancellationToken = default)
        => await OnceAsync(() => _stage1, m => _stage1 = m,
            () => DeepFloydModel.LoadAsync(_options.Stage1Folder!, LoadOptions with { LoadTextEncoder = _options.LoadTextEncoder, PackTextEncoderWeights = _options.PackTextEncoderWeights }, _logger, cancellationToken), cancellationToken).ConfigureAwait(false);

    /// <summary>Stage II.</summary>
    /// <exception cref="InvalidOperationException">No stage II folder is configured.</exception>
    public async Task<DeepFloydModel> Stage2Async(CancellationToken cancellationToken = default)
    {
        if (_options.Stage2Folder is null) throw new InvalidOperationException("No stage II folder is configured (DeepFloydServiceOptions.Stage2Folder).");
        return await OnceAsync(() => _stage2, m => _stage2 = m, () => DeepFloydModel.LoadAsync(_options.Stage2Folder, LoadOptions, _logger, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The prompt embeddings.</summary>
    /// <exception cref="InvalidOperationException">No embeddings file is configured.</exception>
    public async Task<PromptEmbeddings> PromptsAsync(CancellationToken cancellationToken = default)
    {
        var path = _options.EmbeddingsPath ?? throw new InvalidOperationException("No prompt embeddings are configured (DeepFloydServiceOptions.EmbeddingsPath).");
        return await OnceAsync(() => _prompts, p => _prompts = p,
            () => Task.Run(() => path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase) ? PromptEmbeddings.ImportPth(path) : PromptEmbeddings.Load(path), cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The prompt encoder for both stages: stage I's T5 when <see cref="DeepFloydServiceOptions.LoadTextEncoder"/> is
    /// set, else the store at <see cref="DeepFloydServiceOptions.EmbeddingsPath"/> (both are loaded on first use).
    /// </summary>
    /// <exception cref="NotSupportedException">Neither option is set; the message names both.</exception>
    public async Task<IFPromptEncoder> PromptEncoderAsync(CancellationToken cancellationToken = default)
    {
        if (!_options.LoadTextEncoder && _options.EmbeddingsPath is null)
            throw new NotSupportedException("Prompt strings need DeepFloydServiceOptions.LoadTextEncoder = true (T5 on stage I) or DeepFloydServiceOptions.EmbeddingsPath (precomputed embeddings).");
        T5TextEncoder? encoder = null;
        if (_options.LoadTextEncoder)
        {
            var stage1 = await Stage1Async(cancellationToken).ConfigureAwait(false);
            encoder = stage1.TextEncoder ?? (_options.EmbeddingsPath is null
                ? throw new NotSupportedException($"DeepFloydServiceOptions.LoadTextEncoder is set but '{_options.Stage1Folder}' has no text_encoder/ and tokenizer/; download them or set DeepFloydServiceOptions.EmbeddingsPath.")
                : null);
        }
        var store = _options.EmbeddingsPath is null ? null : await PromptsAsync(cancellationToken).ConfigureAwait(false);
        return new IFPromptEncoder(encoder, store);
    }

    internal static DeepFloydOptions CreateLoadOptions(DeepFloydServiceOptions options, DiffusionRuntime? runtime)
    {
        var dtype = options.Bf16 ? ScalarType.BFloat16 : runtime?.DType ?? ScalarType.Float32;
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new NotSupportedException($"DeepFloyd IF loads weights in float32 or bfloat16; DiffusionOptions.DType is {dtype}. Set it to float32 or bfloat16, or set DeepFloydServiceOptions.Bf16.");
        return new DeepFloydOptions { DType = dtype, Device = runtime?.Device, Variant = options.Variant, PackUNetConvolutionWeights = options.PackUNetConvolutionWeights };
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
