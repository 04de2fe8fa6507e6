namespace Diffusion.Net.IO;

/// <summary>
/// Resource budgets applied to untrusted files before anything is allocated from their claims: configs, pickled
/// tensor dicts, IDX data, tokenizer models. Each budget has a default that admits every published model this
/// library supports with room to spare; raise one for a larger model, lower one for a service that takes uploads.
/// Images have their own budgets in <c>Diffusion.Net.Imaging.ImageLoadOptions</c>. Exceeding a budget raises the
/// loader's <see cref="InvalidInputException"/> subtype naming the budget.
/// </summary>
public sealed record InputLimits
{
    /// <summary>The defaults listed on each property.</summary>
    public static InputLimits Default { get; } = new();

    /// <summary>The largest JSON config file (model, scheduler, tokenizer, shard index). Default 4 MiB.</summary>
    public long MaxConfigBytes { get; init; } = 4L * 1024 * 1024;

    /// <summary>The largest number of training timesteps T a scheduler config may declare. Default 100 000.</summary>
    public int MaxTimesteps { get; init; } = 100_000;

    /// <summary>The largest layer count a model config may declare per block or per encoder. Default 256.</summary>
    public int MaxLayers { get; init; } = 256;

    /// <summary>The largest width (channels, hidden size, heads, vocabulary rows) a model config may declare. Default 262 144.</summary>
    public int MaxWidth { get; init; } = 262_144;

    /// <summary>
    /// The most parameters a model config may imply, estimated from its widths and layer counts before anything is
    /// built. Default 16 billion (DeepFloyd IF-XL's UNet has 4.3 B, T5-XXL's encoder 4.8 B).
    /// </summary>
    public long MaxParameters { get; init; } = 16_000_000_000;

    /// <summary>
    /// The most tensor elements a pickled tensor dict may rebuild, all tensors together. Default 2²⁸ (1 GiB of float32;
    /// CS180's prompt dict holds about 10⁷).
    /// </summary>
    public long MaxTensorElements { get; init; } = 1L << 28;

    /// <summary>The most bytes a pickled tensor dict's storages may hold, all together. Default 1 GiB.</summary>
    public long MaxStorageBytes { get; init; } = 1L << 30;

    /// <summary>The largest pickle program (<c>data.pkl</c>) or small zip member read whole. Default 64 MiB.</summary>
    public long MaxPickleBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The most items (images or labels) an IDX file may declare. Default 10 000 000.</summary>
    public long MaxIdxItems { get; init; } = 10_000_000;

    /// <summary>The most bytes a compressed data file (gzip IDX) may inflate to. Default 512 MiB.</summary>
    public long MaxDecompressedBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>The largest SentencePiece model file. Default 64 MiB.</summary>
    public long MaxTokenizerModelBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> if a budget is not positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConfigBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTimesteps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLayers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxParameters, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTensorElements, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStorageBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPickleBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIdxItems, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDecompressedBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTokenizerModelBytes, 1);
    }
}
