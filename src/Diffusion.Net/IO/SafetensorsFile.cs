using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.IO;

/// <summary>
/// Reads a safetensors file as untrusted input. The header is validated completely when the file is opened:
/// its length is capped, the JSON must be an object of well-formed entries with known dtypes, and the tensors
/// must tile the data section exactly (inside the file, contiguous, non-overlapping, each exactly
/// <c>elements × dtype size</c> bytes). Tensor data is read lazily, one tensor at a time.
/// </summary>
/// <remarks>Format: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then raw little-endian data.</remarks>
public sealed class SafetensorsFile : ITensorSource
{
    /// <summary>The default cap on the JSON header (100 MB, as in the reference implementation).</summary>
    public const long DefaultMaxHeaderBytes = 100L * 1024 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly long _dataStart;

    private SafetensorsFile(string path, SafeFileHandle handle, long dataStart,
        Dictionary<string, SafetensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _handle = handle;
        _dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Description => Path;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, SafetensorInfo> Tensors { get; }

    /// <summary>The free-form <c>__metadata__</c> strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens <paramref name="path"/> and validates its header.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SafetensorsFormatException">The file is not a valid safetensors file.</exception>
    public static SafetensorsFile Open(string path, long maxHeaderBytes = DefaultMaxHeaderBytes)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeaderBytes, 2);
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        // A pipe or device reports length 0 and is refused before open() could block on it.
        long statLength = UntrustedFile.CheckedLength(path, long.MaxValue, problem => new SafetensorsFormatException(path, problem));
        if (statLength < 8) throw new SafetensorsFormatException(path, $"the file is {statLength} bytes long, shorter than the 8-byte header length");
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            if (fileLength < 8) throw new SafetensorsFormatException(path, $"the file is {fileLength} bytes long, shorter than the 8-byte header length");
            Span<byte> lengthBytes = stackalloc byte[8];
            ReadExactly(handle, lengthBytes, 0, path);
            ulong headerLength = BitConverter.ToUInt64(lengthBytes);
            // The claimed length is not printed: from a file that is not safetensors at all, it is the file's first bytes.
            if (headerLength > (ulong)maxHeaderBytes)
                throw new SafetensorsFormatException(path, $"the 8-byte header length exceeds the limit of {maxHeaderBytes} bytes (not a safetensors file?)");
            if (headerLength > (ulong)(fileLength - 8))
                throw new SafetensorsFormatException(path, $"the 8-byte header length exceeds the {fileLength - 8} bytes that follow (truncated file?)");
            if (headerLength < 2) throw new SafetensorsFormatException(path, "the header is empty");
            var headerBytes = new byte[(int)headerLength];
            ReadExactly(handle, headerBytes, 8, path);
            long dataStart = 8 + (long)headerLength;
            long dataLength = fileLength - dataStart;
            var (tensors, metadata) = ParseHeader(path, headerBytes, dataLength);
            return new SafetensorsFile(path, handle, dataStart, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public Tensor Read(string name, ScalarType? dtype = null)
    {
        var info = Get(name);
        var raw = empty(info.Shape, info.DType);
        try
        {
            ReadRaw(info, raw);
            if (dtype is null || dtype == info.DType) return raw;
            var converted = raw.to_type(dtype.Value);
            raw.Dispose();
            return converted;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void ReadInto(string name, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var info = Get(name);
        if (!destination.shape.SequenceEqual(info.Shape))
        {
            throw new WeightsMismatchException(Path, [], [],
                [$"{name}: expected [{string.Join(", ", destination.shape)}] but found {info.ShapeText}"]);
        }
        using var noGrad = no_grad();
        bool direct = destination.dtype == info.DType && destination.device_type == DeviceType.CPU && destination.is_contiguous();
        if (direct)
        {
            ReadRaw(info, destination);
            return;
        }
        using var raw = empty(info.Shape, info.DType);
        ReadRaw(info, raw);
        destination.copy_(raw);
    }

    /// <summary>Reads every tensor (converted to <paramref name="dtype"/> when given). The caller owns the tensors.</summary>
    public Dictionary<string, Tensor> ReadAll(ScalarType? dtype = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var name in Tensors.Keys) result[name] = Read(name, dtype);
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>The SHA-256 of the data section (every tensor's bytes, in file order), streamed in 1 MiB reads.</summary>
    internal byte[] HashData()
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long offset = _dataStart, end = RandomAccess.GetLength(_handle);
        while (offset < end)
        {
            int n = RandomAccess.Read(_handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - offset)), offset);
            if (n <= 0) throw new SafetensorsFormatException(Path, $"unexpected end of file at byte {offset}");
            sha.AppendData(buffer, 0, n);
            offset += n;
        }
        return sha.GetHashAndReset();
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();

    private SafetensorInfo Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        return Tensors.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'.");
    }

    private void ReadRaw(SafetensorInfo info, Tensor destination)
    {
        if (info.ByteLength == 0) return;
        if (info.ByteLength > int.MaxValue)
            throw new NotSupportedException($"Tensor '{info.Name}' in '{Path}' is {info.ByteLength} bytes; tensors over 2 GiB are not supported.");
        ReadExactly(_handle, destination.bytes, _dataStart + info.Begin, Path);
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[done..], offset + done);
            if (n <= 0) throw new SafetensorsFormatException(path, $"unexpected end of file at byte {offset + done}");
            done += n;
        }
    }

    internal static (Dictionary<string, SafetensorInfo> Tensors, Dictionary<string, string> Metadata) ParseHeader(
        string path, byte[] headerBytes, long dataLength)
    {
        JsonDocument doc;
        try
        {
            var text = new UTF8Encoding(false, true).GetString(headerBytes);
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or ArgumentException)
        {
            // The inner exception is not kept: System.Text.Json quotes the offending character.
            throw new SafetensorsFormatException(path, $"the header is not valid UTF-8 JSON{(e is JsonException { BytePositionInLine: { } at } ? $" (near byte {at})" : "")}");
        }

        using (doc)
        {
            try { return ParseRoot(path, doc, dataLength); }
            catch (InvalidOperationException e)
            {
                // System.Text.Json refuses some well-formed JSON on access (an unpaired surrogate escape in a name).
                throw new SafetensorsFormatException(path, "the header has a name or value that is not valid Unicode", e);
            }
        }
    }

    private static (Dictionary<string, SafetensorInfo> Tensors, Dictionary<string, string> Metadata) ParseRoot(string path, JsonDocument doc, long dataLength)
    {
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(path, "the header is not a JSON object");
            var tensors = new Dictionary<string, SafetensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!IsWellFormed(property.Name)) throw new SafetensorsFormatException(path, "a tensor name is not valid Unicode (an unpaired surrogate)");
                if (!seen.Add(property.Name)) throw new SafetensorsFormatException(path, $"the key '{property.Name}' appears twice");
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new SafetensorsFormatException(path, "__metadata__ is not an object of strings");
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String || !IsWellFormed(m.Name))
                            throw new SafetensorsFormatException(path, $"__metadata__ entry '{m.Name}' is not a string");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                tensors[property.Name] = ParseEntry(path, property.Name, property.Value);
            }

            // The tensors must tile the data section exactly: no gaps, no overlaps, nothing past the end.
            long expected = 0;
            foreach (var info in tensors.Values.OrderBy(t => t.Begin).ThenBy(t => t.End))
            {
                if (info.Begin != expected)
                {
                    throw new SafetensorsFormatException(path, info.Begin < expected
                        ? $"tensor '{info.Name}' overlaps the previous tensor (starts at {info.Begin}, previous ends at {expected})"
                        : $"there is a gap before tensor '{info.Name}' (starts at {info.Begin}, previous ends at {expected})");
                }
                expected = info.End;
            }
            if (expected != dataLength)
            {
                throw new SafetensorsFormatException(path, expected > dataLength
                    ? $"the tensors need {expected} data bytes but the file holds {dataLength} (truncated file?)"
                    : $"the file holds {dataLength} data bytes but the tensors account for only {expected}");
            }
            return (tensors, metadata);
        }
    }

    private static SafetensorInfo ParseEntry(string path, string name, JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object) throw new SafetensorsFormatException(path, $"entry '{name}' is not an object");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException(path, $"entry '{name}' has no dtype string");
        string dtypeText = dtypeElement.GetString()!;
        var dtype = SafetensorsDTypes.Parse(dtypeText)
                    ?? throw new SafetensorsFormatException(path, $"entry '{name}' has the unknown or unsupported dtype '{dtypeText}'");
        if (!entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException(path, $"entry '{name}' has no shape array");
        var shape = new List<long>();
        long elements = 1;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
                throw new SafetensorsFormatException(path, $"entry '{name}' has a shape that is not a list of non-negative integers");
            shape.Add(dim);
            try { elements = checked(elements * dim); }
            catch (OverflowException) { throw new SafetensorsFormatException(path, $"entry '{name}' has a shape whose size overflows"); }
        }
        if (shape.Count > 16) throw new SafetensorsFormatException(path, $"entry '{name}' has {shape.Count} dimensions");
        if (!entry.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new SafetensorsFormatException(path, $"entry '{name}' has no [begin, end] data_offsets");
        if (offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw new SafetensorsFormatException(path, $"entry '{name}' has invalid data_offsets");
        long bytes;
        try { bytes = checked(elements * SafetensorsDTypes.ElementSize(dtype)); }
        catch (OverflowException) { throw new SafetensorsFormatException(path, $"entry '{name}' has a byte size that overflows"); }
        if (end - begin != bytes)
        {
            throw new SafetensorsFormatException(path,
                $"entry '{name}' ({dtypeText} [{string.Join(", ", shape)}]) needs {bytes} bytes but its data_offsets span {end - begin}");
        }
        return new SafetensorInfo(name, dtype, shape.ToArray(), begin, end);
    }

    private static bool IsWellFormed(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) i++;
            else if (char.IsSurrogate(s[i])) return false;
        }
        return true;
    }
}
