using System.Collections.Concurrent;
using Diffusion.Net.IO;
using Diffusion.Net.Imaging;
using Diffusion.Net.Training;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Data;

/// <summary>
/// An MNIST split in memory: uint8 images [N, 28, 28] and labels. Batches come out as float32 [B, 1, 28, 28] in [0, 1]
/// (CS180 Part B's range) with int64 labels; shuffling uses the caller's seeded generator.
/// </summary>
public sealed class MnistDataset : ITrainingData, IDisposable
{
    private static readonly ConcurrentDictionary<(string, MnistSplit), Lazy<MnistDataset>> Loaded = new();
    private readonly Tensor _images;
    private readonly Tensor _labels;
    private readonly byte[] _labelBytes;

    private MnistDataset(byte[] pixels, byte[] labels, int rows, int columns, string source)
    {
        Count = labels.Length;
        Rows = rows;
        Columns = columns;
        Source = source;
        _labelBytes = labels;
        // Detached: the dataset outlives any dispose scope it happens to be created in.
        _images = tensor(pixels, [Count, rows, columns], ScalarType.Byte).DetachFromDisposeScope();
        _labels = tensor(labels.Select(l => (long)l).ToArray(), ScalarType.Int64).DetachFromDisposeScope();
        var counts = new int[10];
        foreach (var l in labels) counts[l]++;
        CountsPerDigit = counts;
    }

    /// <summary>Loads a split, finding or fetching the files as <see cref="MnistAcquisition"/> describes. Loaded splits are shared per folder.</summary>
    public static async Task<MnistDataset> LoadAsync(MnistSplit split, MnistSourceOptions? options = null, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        var folder = await MnistAcquisition.EnsureAsync(options, log, cancellationToken).ConfigureAwait(false);
        var (images, labels) = MnistFiles.For(split);
        var key = (Path.GetFullPath(folder), split);
        var lazy = Loaded.GetOrAdd(key, _ => new Lazy<MnistDataset>(
            () => FromFiles(MnistFiles.Find(folder, images)!, MnistFiles.Find(folder, labels)!).Shared()));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // Lazy caches its exception: forget the failed load, so a repaired folder loads on the next call.
            Loaded.TryRemove(new KeyValuePair<(string, MnistSplit), Lazy<MnistDataset>>(key, lazy));
            throw;
        }
    }

    /// <summary>Reads a split from an images file and a labels file (raw or gzipped; validated).</summary>
    /// <exception cref="MnistFormatException">A file is malformed, or the counts disagree.</exception>
    public static MnistDataset FromFiles(string imagesPath, string labelsPath) => FromFiles(imagesPath, labelsPath, null);

    /// <summary>Reads a split within <paramref name="limits"/> (item counts, inflated size).</summary>
    /// <exception cref="MnistFormatException">A file is malformed, exceeds a budget, or the counts disagree.</exception>
    public static MnistDataset FromFiles(string imagesPath, string labelsPath, InputLimits? limits)
    {
        var (pixels, count, rows, columns) = IdxReader.ReadImages(imagesPath, limits: limits);
        var labels = IdxReader.ReadLabels(labelsPath, limits: limits);
        if (labels.Length != count)
            throw new MnistFormatException(labelsPath, $"it has {labels.Length} labels but '{imagesPath}' has {count} images");
        return new MnistDataset(pixels, labels, rows, columns, imagesPath);
    }

    /// <summary>The number of digits.</summary>
    public int Count { get; }

    /// <summary>Image height.</summary>
    public int Rows { get; }

    /// <summary>Image width.</summary>
    public int Columns { get; }

    /// <summary>The images file it came from.</summary>
    public string Source { get; }

    /// <summary>How many of each digit 0 … 9.</summary>
    public IReadOnlyList<int> CountsPerDigit { get; }

    /// <summary>Whether the instance is shared by <see cref="LoadAsync"/> (then <see cref="Dispose"/> does nothing).</summary>
    public bool IsShared { get; private set; }

    /// <summary>The label of item <paramref name="index"/>.</summary>
    public int Label(int index) => _labelBytes[index];

    /// <summary>Images at <paramref name="indices"/> (int64 [B]) as float32 [B, 1, 28, 28] in [0, 1] (marked so, <see cref="PixelRanges"/>).</summary>
    public Tensor Images(Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        using var scope = NewDisposeScope();
        var idx = indices.to(ScalarType.Int64, CPU);
        var batch = _images.index_select(0, idx).unsqueeze(1).to(ScalarType.Float32).div_(255f);
        return scope.MoveToOuter(batch).WithPixelRange(PixelRange.ZeroToOne);
    }

    /// <summary>The <paramref name="count"/> images from <paramref name="start"/>, float32 [count, 1, 28, 28] in [0, 1] (marked so).</summary>
    public Tensor Images(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count) throw new ArgumentOutOfRangeException(nameof(count), $"[{start}, {start + count}) is outside the {Count} items.");
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(_images.narrow(0, start, count).unsqueeze(1).to(ScalarType.Float32).div_(255f)).WithPixelRange(PixelRange.ZeroToOne);
    }

    /// <summary>Labels at <paramref name="indices"/> (int64 [B]).</summary>
    public Tensor Labels(Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        return _labels.index_select(0, indices.to(ScalarType.Int64, CPU));
    }

    /// <summary>Indices of the first <paramref name="perDigit"/> items of each digit (digit-major order), for fixed evaluation sets.</summary>
    public long[] FirstOfEachDigit(int perDigit)
    {
        var result = new List<long>();
        for (int d = 0; d < 10; d++)
        {
            var found = Enumerable.Range(0, Count).Where(i => _labelBytes[i] == d).Take(perDigit).Select(i => (long)i).ToList();
            if (found.Count < perDigit) throw new ArgumentOutOfRangeException(nameof(perDigit), $"Only {found.Count} items of digit {d}.");
            result.AddRange(found);
        }
        return [.. result];
    }

    /// <inheritdoc />
    public TrainingBatch GetBatch(Tensor indices) => new(Images(indices), Labels(indices));

    /// <summary>Disposes the tensors (ignored for shared instances).</summary>
    public void Dispose()
    {
        if (IsShared) return;
        _images.Dispose();
        _labels.Dispose();
    }

    private MnistDataset Shared()
    {
        IsShared = true;
        return this;
    }
}
