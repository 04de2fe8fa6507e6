using System.IO.Compression;
using System.Text;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>
/// Writes <c>torch.save</c>-style zip files of a dict of float tensors, with every field under the caller's
/// control: storage element counts, view offsets, sizes and strides, the byteorder member, raw pickle bytes.
/// </summary>
internal static class PthBuilder
{
    public sealed record Entry(string Name, int StorageElements, long Offset, long[] Size, long[] Stride);

    public static byte[] Pickle(IReadOnlyList<Entry> entries)
    {
        var p = new MemoryStream();
        void Op(byte b) => p.WriteByte(b);
        void Str(string s) { var b = Encoding.UTF8.GetBytes(s); Op((byte)'X'); p.Write(BitConverter.GetBytes(b.Length)); p.Write(b); }
        void Global(string module, string name) { Op((byte)'c'); p.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); }
        void Long(long v) { Op(0x8a); Op(8); p.Write(BitConverter.GetBytes(v)); }
        void Tuple(IEnumerable<long> values) { Op((byte)'('); foreach (var v in values) Long(v); Op((byte)'t'); }
        Op(0x80); Op(2);
        Op((byte)'}');
        Op((byte)'(');
        for (int i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            Str(e.Name);
            Global("torch._utils", "_rebuild_tensor_v2");
            Op((byte)'(');
            Op((byte)'('); Str("storage"); Global("torch", "FloatStorage"); Str(i.ToString(System.Globalization.CultureInfo.InvariantCulture)); Str("cpu"); Long(e.StorageElements); Op((byte)'t'); Op((byte)'Q');
            Long(e.Offset);
            Tuple(e.Size);
            Tuple(e.Stride);
            Op(0x89);
            Global("collections", "OrderedDict"); Op((byte)')'); Op((byte)'R');
            Op((byte)'t'); Op((byte)'R');
        }
        Op((byte)'u');
        Op((byte)'.');
        return p.ToArray();
    }

    /// <summary>The zip: <c>data.pkl</c>, <c>byteorder</c>, one storage per entry (counting up from 0.5), <c>version</c>.</summary>
    public static byte[] Zip(byte[] pickle, IReadOnlyList<Entry> entries, byte[]? byteOrder = null, bool compress = false)
    {
        var s = new MemoryStream();
        using (var zip = new ZipArchive(s, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Member(string name, byte[] bytes)
            {
                using var e = zip.CreateEntry($"archive/{name}", compress ? CompressionLevel.Fastest : CompressionLevel.NoCompression).Open();
                e.Write(bytes);
            }
            Member("data.pkl", pickle);
            Member("byteorder", byteOrder ?? "little"u8.ToArray());
            for (int i = 0; i < entries.Count; i++)
            {
                var floats = Enumerable.Range(0, entries[i].StorageElements).SelectMany(k => BitConverter.GetBytes(0.5f + k)).ToArray();
                Member($"data/{i}", floats);
            }
            Member("version", "3\n"u8.ToArray());
        }
        return s.ToArray();
    }

    public static byte[] Valid() => Build([new("a", 32, 0, [1, 4, 8], [32, 8, 1]), new("b", 32, 0, [1, 4, 8], [32, 8, 1])]);

    public static byte[] Build(IReadOnlyList<Entry> entries, byte[]? byteOrder = null, bool compress = false) => Zip(Pickle(entries), entries, byteOrder, compress);

    /// <summary>Sets the compression method of every member (local and central headers) to <paramref name="method"/>.</summary>
    public static byte[] WithCompressionMethod(byte[] zip, ushort method)
    {
        var d = (byte[])zip.Clone();
        for (int i = 0; i + 4 < d.Length; i++)
        {
            if (d[i] == 0x50 && d[i + 1] == 0x4B && d[i + 2] == 3 && d[i + 3] == 4) BitConverter.TryWriteBytes(d.AsSpan(i + 8), method);
            if (d[i] == 0x50 && d[i + 1] == 0x4B && d[i + 2] == 1 && d[i + 3] == 2) BitConverter.TryWriteBytes(d.AsSpan(i + 10), method);
        }
        return d;
    }
}
