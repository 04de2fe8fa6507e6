using System.Buffers.Binary;

namespace Diffusion.Net.Imaging.Formats;

/// <summary>Bounds-checked reads for the format scanners: running off the end is a truncation, never an exception of another type.</summary>
internal static class ByteReader
{
    public static void Need(byte[] data, long offset, long count, string what)
    {
        if (offset < 0 || count < 0 || offset > data.Length || count > data.Length - offset)
            throw new ImageStructureException($"the file is truncated ({what} runs past the end)");
    }

    public static ushort U16BE(byte[] d, long o) { Need(d, o, 2, "a field"); return BinaryPrimitives.ReadUInt16BigEndian(d.AsSpan((int)o)); }
    public static ushort U16LE(byte[] d, long o) { Need(d, o, 2, "a field"); return BinaryPrimitives.ReadUInt16LittleEndian(d.AsSpan((int)o)); }
    public static uint U32BE(byte[] d, long o) { Need(d, o, 4, "a field"); return BinaryPrimitives.ReadUInt32BigEndian(d.AsSpan((int)o)); }
    public static uint U32LE(byte[] d, long o) { Need(d, o, 4, "a field"); return BinaryPrimitives.ReadUInt32LittleEndian(d.AsSpan((int)o)); }
    public static int I32LE(byte[] d, long o) { Need(d, o, 4, "a field"); return BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan((int)o)); }
    public static byte U8(byte[] d, long o) { Need(d, o, 1, "a field"); return d[o]; }
}
