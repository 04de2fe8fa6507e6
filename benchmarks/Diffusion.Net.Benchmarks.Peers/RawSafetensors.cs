using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// Reads and writes the float32/int64 safetensors files the harness itself produced, without TorchSharp, so the ONNX
/// Runtime child and the parent never load libtorch (its resident memory would be charged to the peer).
/// </summary>
internal static class RawSafetensors
{
    public sealed record Entry(string DType, long[] Shape, byte[] Data)
    {
        public float[] Floats() => DType == "F32" ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Data).ToArray()
            : throw new InvalidDataException($"expected F32, got {DType}");

        public long[] Longs() => DType == "I64" ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(Data).ToArray()
            : throw new InvalidDataException($"expected I64, got {DType}");
    }

    public static Dictionary<string, Entry> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var result = new Dictionary<string, Entry>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            result[p.Name] = new Entry(p.Value.GetProperty("dtype").GetString()!, shape, bytes[(int)(8 + n + offsets[0])..(int)(8 + n + offsets[1])]);
        }
        return result;
    }

    public static void WriteFloat(string path, string name, float[] data, long[] shape)
    {
        var header = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            [name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = shape, ["data_offsets"] = new long[] { 0, data.Length * 4L } },
        });
        while ((header.Length + 8) % 8 != 0) header += " ";
        var h = Encoding.UTF8.GetBytes(header);
        using var f = File.Create(path);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(len, h.Length);
        f.Write(len);
        f.Write(h);
        f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
    }
}
