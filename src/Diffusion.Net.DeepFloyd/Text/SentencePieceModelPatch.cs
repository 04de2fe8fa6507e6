using Diffusion.Net.IO;

namespace Diffusion.Net.DeepFloyd.Text;

/// <summary>
/// Works around Microsoft.ML.Tokenizers 2.0.1, whose SentencePieceTokenizer throws IndexOutOfRangeException when the
/// model's <c>trainer_spec.bos_id</c> is −1 (as in T5's <c>spiece.model</c>): the field (number 41 inside field 2 of
/// ModelProto) is rewritten to 0 before the model is handed over. Only the protobuf framing is touched; the change
/// is made only when bos_id is negative, and no BOS is ever added by this library. The pieces are counted on the way,
/// because the tokenizer's own vocabulary then also lists the BOS it believes in.
/// </summary>
internal static class SentencePieceModelPatch
{
    public static byte[] WithNonNegativeBosId(byte[] model, string source) => Patch(model, source).Model;

    /// <summary>The patched model and its number of pieces (repeated field 1 of ModelProto).</summary>
    public static (byte[] Model, int Pieces) Patch(byte[] model, string source)
    {
        var output = new MemoryStream(model.Length + 16);
        int pieces = 0;
        int pos = 0;
        while (pos < model.Length)
        {
            int fieldStart = pos;
            ulong key = ReadVarint(model, ref pos, source);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            if (field == 2 && wire == 2)
            {
                int length = Length(model, ref pos, source);
                var spec = PatchTrainerSpec(model.AsSpan(pos, length).ToArray(), source);
                WriteVarint(output, key);
                WriteVarint(output, (ulong)spec.Length);
                output.Write(spec);
                pos += length;
                continue;
            }
            if (field == 1 && wire == 2) pieces++;
            SkipValue(model, ref pos, wire, source);
            output.Write(model, fieldStart, pos - fieldStart);
        }
        return (output.ToArray(), pieces);
    }

    private static byte[] PatchTrainerSpec(byte[] spec, string source)
    {
        var output = new MemoryStream(spec.Length);
        int pos = 0;
        while (pos < spec.Length)
        {
            int fieldStart = pos;
            ulong key = ReadVarint(spec, ref pos, source);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            if (field == 41 && wire == 0)
            {
                long value = (long)ReadVarint(spec, ref pos, source);
                WriteVarint(output, key);
                WriteVarint(output, (ulong)(value < 0 ? 0 : value));
                continue;
            }
            SkipValue(spec, ref pos, wire, source);
            output.Write(spec, fieldStart, pos - fieldStart);
        }
        return output.ToArray();
    }

    private static void SkipValue(byte[] data, ref int pos, int wire, string source)
    {
        switch (wire)
        {
            case 0: ReadVarint(data, ref pos, source); break;
            case 1: Advance(data, ref pos, 8, source); break;
            case 2: Advance(data, ref pos, Length(data, ref pos, source), source); break;
            case 5: Advance(data, ref pos, 4, source); break;
            default: throw new ModelConfigException(source, null, $"the SentencePiece model has an unsupported protobuf wire type {wire}");
        }
    }

    /// <summary>A length-delimited field's length, compared with what remains before any cast (a varint may claim 2⁶⁴).</summary>
    private static int Length(byte[] data, ref int pos, string source)
    {
        ulong length = ReadVarint(data, ref pos, source);
        if (length > (ulong)(data.Length - pos)) throw new ModelConfigException(source, null, "the SentencePiece model is truncated (a field runs past its end)");
        return (int)length;
    }

    private static void Advance(byte[] data, ref int pos, int count, string source)
    {
        if (count > data.Length - pos) throw new ModelConfigException(source, null, "the SentencePiece model is truncated");
        pos += count;
    }

    private static ulong ReadVarint(byte[] data, ref int pos, string source)
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (pos >= data.Length) throw new ModelConfigException(source, null, "the SentencePiece model is truncated inside a varint");
            byte b = data[pos++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new ModelConfigException(source, null, "the SentencePiece model has an over-long varint");
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80)
        {
            s.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        s.WriteByte((byte)value);
    }
}
