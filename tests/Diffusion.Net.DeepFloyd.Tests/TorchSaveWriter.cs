using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// Writes a file with the structure of <c>torch.save(dict_of_tensors, path)</c> (zip archive, protocol-2 pickle with
/// persistent storage ids and <c>_rebuild_tensor_v2</c>), so the importer is tested without Python.
/// </summary>
internal static class TorchSaveWriter
{
    public static void Save(string path, IReadOnlyList<(string Name, Tensor Tensor)> entries, string? injectGlobal = null)
    {
        var pickle = new MemoryStream();
        void Op(byte b) => pickle.WriteByte(b);
        void Str(string s) { var b = Encoding.UTF8.GetBytes(s); Op((byte)'X'); pickle.Write(BitConverter.GetBytes(b.Length)); pickle.Write(b); }
        void Global(string module, string name) { Op((byte)'c'); pickle.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); }
        void Int(long v) { Op((byte)'J'); pickle.Write(BitConverter.GetBytes((int)v)); }
        void Tuple(IEnumerable<long> values) { Op((byte)'('); foreach (var v in values) Int(v); Op((byte)'t'); }

        Op(0x80); Op(2);                                  // PROTO 2
        Op((byte)'}');                                    // EMPTY_DICT
        Op((byte)'(');                                    // MARK
        var storages = new List<(string Key, byte[] Bytes)>();
        for (int i = 0; i < entries.Count; i++)
        {
            var (name, tensor) = entries[i];
            using var t = tensor.contiguous();
            var key = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            storages.Add((key, t.bytes.ToArray()));
            var storage = t.dtype switch { ScalarType.Float16 => "HalfStorage", ScalarType.BFloat16 => "BFloat16Storage", _ => "FloatStorage" };
            Str(name);
            Global("torch._utils", "_rebuild_tensor_v2");
            Op((byte)'(');                                // args MARK
            Op((byte)'(');                                // persistent id MARK
            Str("storage"); Global("torch", storage); Str(key); Str("cpu"); Int(t.numel());
            Op((byte)'t'); Op((byte)'Q');                 // TUPLE, BINPERSID
            Int(0);                                       // storage offset
            Tuple(t.shape);
            var strides = new long[(int)t.dim()];
            long s = 1;
            for (int d = (int)t.dim() - 1; d >= 0; d--) { strides[d] = s; s *= t.shape[d]; }
            Tuple(strides);
            Op(0x89);                                     // requires_grad False
            Global("collections", "OrderedDict"); Op((byte)')'); Op((byte)'R');
            Op((byte)'t'); Op((byte)'R');                 // _rebuild_tensor_v2(*args)
        }
        if (injectGlobal is not null)
        {
            Str("payload");
            var parts = injectGlobal.Split('.');
            Global(parts[0], parts[1]);
            Op((byte)'('); Str("echo pwned"); Op((byte)'t'); Op((byte)'R');
        }
        Op((byte)'u');                                    // SETITEMS
        Op((byte)'.');                                    // STOP

        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Entry(string name, byte[] bytes) { using var e = zip.CreateEntry($"prompt_embeds_dict/{name}", CompressionLevel.NoCompression).Open(); e.Write(bytes); }
        Entry("data.pkl", pickle.ToArray());
        Entry("byteorder", Encoding.ASCII.GetBytes("little"));
        foreach (var (key, bytes) in storages) Entry($"data/{key}", bytes);
        Entry("version", Encoding.ASCII.GetBytes("3\n"));
    }
}
