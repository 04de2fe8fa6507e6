using System.Buffers.Binary;
using Diffusion.Net.IO;

namespace Diffusion.Net.Imaging.Formats;

/// <summary>
/// Walks PNG chunks (length, type, data, CRC): every chunk inside the file with a correct CRC, IHDR first, IEND
/// last. Text, ICC and unknown ancillary chunks are dropped before decoding: ImageSharp inflates zTXt/iTXt/iCCP even
/// when only identifying, so a 1 MB text chunk could inflate to gigabytes; pixels never depend on them.
/// </summary>
internal static class PngScanner
{
    private static readonly HashSet<string> Kept = new(StringComparer.Ordinal) { "IHDR", "PLTE", "IDAT", "IEND", "tRNS", "gAMA", "cHRM", "sRGB", "sBIT", "bKGD", "pHYs" };

    public static ImageStructure Scan(byte[] data)
    {
        ByteReader.Need(data, 0, 8, "the signature");
        var output = new MemoryStream(data.Length);
        output.Write(data, 0, 8);
        bool dropped = false, sawEnd = false;
        int width = 0, height = 0;
        long pos = 8;
        int index = 0;
        while (pos < data.Length)
        {
            if (sawEnd) throw new ImageStructureException("there is data after the IEND chunk");
            uint length = ByteReader.U32BE(data, pos);
            if (length > int.MaxValue) throw new ImageStructureException("a chunk length exceeds 2³¹ − 1");
            ByteReader.Need(data, pos + 4, 4L + length + 4, "a chunk");
            var type = System.Text.Encoding.ASCII.GetString(data, (int)pos + 4, 4);
            if (!type.All(char.IsAsciiLetter)) throw new ImageStructureException("a chunk type is not four letters");
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan((int)(pos + 8 + length)));
            if (Crc32.Compute(data.AsSpan((int)pos + 4, (int)length + 4)) != crc) throw new ImageStructureException($"the {type} chunk's CRC is wrong");
            if (index == 0 && type != "IHDR") throw new ImageStructureException("the first chunk is not IHDR");
            if (type == "IHDR")
            {
                if (index != 0 || length != 13) throw new ImageStructureException("the IHDR chunk is misplaced or not 13 bytes");
                width = (int)Math.Min(int.MaxValue, ByteReader.U32BE(data, pos + 8));
                height = (int)Math.Min(int.MaxValue, ByteReader.U32BE(data, pos + 12));
            }
            if (type == "IEND") sawEnd = true;
            long total = 12L + length;
            if (Kept.Contains(type)) output.Write(data, (int)pos, (int)total);
            else if (char.IsUpper(type[0])) throw new ImageStructureException($"the critical chunk {type} is not supported");
            else dropped = true;
            pos += total;
            index++;
        }
        if (!sawEnd) throw new ImageStructureException("the PNG data is truncated (no IEND chunk at the end)");
        long pixels = (long)width * height;
        return new ImageStructure(width, height, 1, pixels, pixels, dropped ? output.ToArray() : data);
    }
}
