using System.Buffers.Binary;
using System.IO.Compression;
using Diffusion.Net.IO;

namespace Diffusion.Net.Mnist.Data;

/// <summary>
/// Reads IDX files (LeCun's MNIST format), raw or gzipped, as untrusted input: magic numbers, dimension counts,
/// dimensions and the exact file length are all checked, with a typed exception naming the file and the defect.
/// </summary>
public static class IdxReader
{
    /// <summary>The magic number of an unsigned-byte 3-D (images) file.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>The magic number of an unsigned-byte 1-D (labels) file.</summary>
    public const int LabelsMagic = 0x00000801;

    private const int MaxSide = 65_536;

    /// <summary>Reads an images file: count × rows × columns bytes.</summary>
    /// <exception cref="MnistFormatException">The file is malformed, or exceeds <see cref="InputLimits.MaxIdxItems"/> or <see cref="InputLimits.MaxDecompressedBytes"/>.</exception>
    public static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path, int? expectedRows = 28, int? expectedColumns = 28, InputLimits? limits = null)
    {
        limits ??= InputLimits.Default;
        var data = ReadAllBytes(path, limits);
        if (data.Length < 16) throw new MnistFormatException(path, $"the file is {data.Length} bytes, shorter than the 16-byte images header");
        // The magic number is not printed: from a file that is not IDX at all, it is the file's first bytes.
        int magic = BinaryPrimitives.ReadInt32BigEndian(data);
        if (magic != ImagesMagic) throw new MnistFormatException(path, $"the magic number is not 0x{ImagesMagic:X8} (unsigned bytes, 3 dimensions)");
        int count = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(8));
        int columns = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(12));
        if (count < 0 || rows <= 0 || columns <= 0 || rows > MaxSide || columns > MaxSide)
            throw new MnistFormatException(path, $"the header declares {count} images of {rows}×{columns}");
        if (count > limits.MaxIdxItems) throw new MnistFormatException(path, $"the header declares {count} images, more than the budget of {limits.MaxIdxItems} (InputLimits.MaxIdxItems)");
        if (expectedRows is { } r && rows != r || expectedColumns is { } c && columns != c)
            throw new MnistFormatException(path, $"the images are {rows}×{columns}, not {expectedRows}×{expectedColumns}");
        // count ≤ 2³¹ and rows, columns ≤ 2¹⁶: the product fits in a long.
        long expectedLength = 16L + (long)count * rows * columns;
        if (data.Length != expectedLength)
            throw new MnistFormatException(path, $"the header declares {count} images of {rows}×{columns} ({expectedLength} bytes) but the file has {data.Length} bytes");
        return (data[16..], count, rows, columns);
    }

    /// <summary>Reads a labels file.</summary>
    /// <exception cref="MnistFormatException">The file is malformed, or exceeds <see cref="InputLimits.MaxIdxItems"/> or <see cref="InputLimits.MaxDecompressedBytes"/>.</exception>
    public static byte[] ReadLabels(string path, int classCount = 10, InputLimits? limits = null)
    {
        limits ??= InputLimits.Default;
        var data = ReadAllBytes(path, limits);
        if (data.Length < 8) throw new MnistFormatException(path, $"the file is {data.Length} bytes, shorter than the 8-byte labels header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(data);
        if (magic != LabelsMagic) throw new MnistFormatException(path, $"the magic number is not 0x{LabelsMagic:X8} (unsigned bytes, 1 dimension)");
        int count = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
        if (count > limits.MaxIdxItems) throw new MnistFormatException(path, $"the header declares {count} labels, more than the budget of {limits.MaxIdxItems} (InputLimits.MaxIdxItems)");
        if (count < 0 || data.Length != 8L + count)
            throw new MnistFormatException(path, $"the header declares {count} labels ({8L + count} bytes) but the file has {data.Length} bytes");
        var labels = data[8..];
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= classCount) throw new MnistFormatException(path, $"label {i} is {labels[i]}, outside 0 … {classCount - 1}");
        return labels;
    }

    /// <summary>Whether the file starts with the gzip signature.</summary>
    public static bool IsGzip(string path)
    {
        UntrustedFile.CheckedLength(path, long.MaxValue, problem => new MnistFormatException(path, problem));
        using var s = UntrustedFile.Open(path);
        return s.ReadByte() == 0x1F && s.ReadByte() == 0x8B;
    }

    /// <summary>
    /// The file's bytes, inflated when gzipped (every member of a multi-member gzip, as <c>gunzip</c> does). A gzip
    /// file cut short inflates to a prefix without an error from .NET's decoder; the callers' exact-length check
    /// against the IDX header catches that, and zlib checks each member's CRC.
    /// </summary>
    private static byte[] ReadAllBytes(string path, InputLimits limits)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"MNIST file '{path}' does not exist.", path);
        Func<string, Exception> fail = problem => new MnistFormatException(path, problem);
        if (!IsGzip(path)) return UntrustedFile.ReadAllBytes(path, limits.MaxDecompressedBytes, fail);
        long compressedLength = UntrustedFile.CheckedLength(path, long.MaxValue, fail);
        if (compressedLength < 18) throw new MnistFormatException(path, "the gzip data is truncated (shorter than a gzip header and trailer)");
        try
        {
            using var file = UntrustedFile.Open(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            int n;
            while ((n = gzip.Read(chunk)) > 0)
            {
                buffer.Write(chunk, 0, n);
                if (buffer.Length > limits.MaxDecompressedBytes)
                    throw new MnistFormatException(path, $"it decompresses to more than {limits.MaxDecompressedBytes} bytes (InputLimits.MaxDecompressedBytes)");
            }
            return buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new MnistFormatException(path, "the gzip data is corrupt or truncated", e);
        }
    }
}
