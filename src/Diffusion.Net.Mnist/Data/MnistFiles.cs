using System.Security.Cryptography;

namespace Diffusion.Net.Mnist.Data;

/// <summary>The four MNIST IDX files, their names and the SHA-256 of their uncompressed content.</summary>
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
        return bytes.Length == entry.Length && string.Equals(Convert.ToHexString(SHA256.HashData(bytes)), entry.Sha256, StringComparison.OrdinalIgnoreCase);
    }
}
