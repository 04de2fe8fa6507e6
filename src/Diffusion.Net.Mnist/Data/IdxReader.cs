using System.Buffers.Binary;
using System.IO.Compression;

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

    private const long MaxDecompressedBytes = 512L * 1024 * 1024;

    /// <summary>Reads an images file: count × rows × columns bytes.</summary>
    public static (byte[] Pixels, int Count, int Rows, int Columns) ReadImages(string path, int? expectedRows = 28, int? expectedColumns = 28)
    {
        var data = ReadAllBytes(path);
        if (data.Length < 16) throw new MnistFormatException(path, $"the file is {data.Length} bytes, shorter than the 16-byte images header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(data);
        if (magic != ImagesMagic) throw new MnistFormatException(path, $"the magic number is 0x{magic:X8}, not 0x{ImagesMagic:X8} (unsigned bytes, 3 dimensions)");
        int count = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(8));
        int columns = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(12));
        if (count < 0 || rows <= 0 || columns <= 0) throw new MnistFormatException(path, $"the header declares {count} images of {rows}×{columns}");
        if (expectedRows is { } r && rows != r || expectedColumns is { } c && columns != c)
            throw new MnistFormatException(path, $"the images are {rows}×{columns}, not {expectedRows}×{expectedColumns}");
        long expectedLength = 16L + (long)count * rows * columns;
        if (data.Length != expectedLength)
            throw new MnistFormatException(path, $"the header declares {count} images of {rows}×{columns} ({expectedLength} bytes) but the file has {data.Length} bytes");
        return (data[16..], count, rows, columns);
    }

    /// <summary>Reads a labels file.</summary>
    public static byte[] ReadLabels(string path, int classCount = 10)
    {
        var data = ReadAllBytes(path);
        if (data.Length < 8) throw new MnistFormatException(path, $"the file is {data.Length} bytes, shorter than the 8-byte labels header");
        int magic = BinaryPrimitives.ReadInt32BigEndian(data);
        if (magic != LabelsMagic) throw new MnistFormatException(path, $"the magic number is 0x{magic:X8}, not 0x{LabelsMagic:X8} (unsigned bytes, 1 dimension)");
        int count = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4));
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
        using var s = File.OpenRead(path);
        return s.ReadByte() == 0x1F && s.ReadByte() == 0x8B;
    }

    private static byte[] ReadAllBytes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"MNIST file '{path}' does not exist.", path);
        if (!IsGzip(path)) return File.ReadAllBytes(path);
        long compressedLength = new FileInfo(path).Length;
        if (compressedLength < 18) throw new MnistFormatException(path, "the gzip data is truncated (shorter than a gzip header and trailer)");
        try
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var buffer = new MemoryStream();
            var chunk = new byte[1 << 16];
            int n;
            while ((n = gzip.Read(chunk)) > 0)
            {
                buffer.Write(chunk, 0, n);
                if (buffer.Length > MaxDecompressedBytes) throw new MnistFormatException(path, $"it decompresses to more than {MaxDecompressedBytes} bytes");
            }
            // The gzip trailer ends with the uncompressed length mod 2^32; .NET's decoder does not check it, so a
            // truncated file would otherwise decode to a short prefix.
            file.Seek(-4, SeekOrigin.End);
            Span<byte> trailer = stackalloc byte[4];
            file.ReadExactly(trailer);
            if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != (uint)buffer.Length)
                throw new MnistFormatException(path, "the gzip data is corrupt or truncated (its length does not match the gzip trailer)");
            return buffer.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new MnistFormatException(path, "the gzip data is corrupt or truncated", e);
        }
    }
}
