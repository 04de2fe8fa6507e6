using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace Diffusion.Net.IO;

/// <summary>
/// Writes tensors to a safetensors file atomically: the bytes go to a temporary file in the same folder, which is
/// flushed and then renamed over the destination, so a crash or cancellation never leaves a half-written file.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> (sorted by name) with optional free-form metadata.</summary>
    /// <param name="path">The destination; replaced atomically if it exists.</param>
    /// <param name="tensors">Named tensors on any device; they are copied to the CPU as needed and not modified.</param>
    /// <param name="metadata">Strings stored under <c>__metadata__</c>.</param>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var items = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in items)
        {
            // Any string may name a tensor (the empty one too: prompt stores key the unconditional "" that way).
            if (name is null || name == "__metadata__") throw new ArgumentException($"'{name}' is not a valid tensor name.", nameof(tensors));
            if (!names.Add(name)) throw new ArgumentException($"The tensor name '{name}' appears twice.", nameof(tensors));
            ArgumentNullException.ThrowIfNull(tensor, name);
            _ = SafetensorsDTypes.Name(tensor.dtype);
        }

        var header = BuildHeader(items, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BitConverter.TryWriteBytes(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (_, tensor) in items)
            {
                using var scope = NewDisposeScope();
                var cpu = tensor.detach().cpu().contiguous();
                if (cpu.numel() > 0) stream.Write(cpu.bytes);
            }
        });
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, Tensor>> items, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in items)
            {
                long bytes = tensor.numel() * SafetensorsDTypes.ElementSize(tensor.dtype);
                json.WriteStartObject(name);
                json.WriteString("dtype", SafetensorsDTypes.Name(tensor.dtype));
                json.WriteStartArray("shape");
                foreach (var d in tensor.shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Pad with spaces so the data section starts on an 8-byte boundary, as the format recommends.
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        var header = new byte[padded];
        buffer.ToArray().CopyTo(header, 0);
        for (int i = (int)buffer.Length; i < padded; i++) header[i] = (byte)' ';
        return header;
    }
}
