namespace Diffusion.Net.Imaging.Formats;

/// <summary>
/// Walks GIF blocks (extensions and image descriptors with their sub-blocks) up to the trailer, counting frames
/// without decoding any. The decoder allocates a full canvas per frame, so the budget is canvas × frames: a 1×1
/// frame on an 8000×8000 canvas costs 64 M pixels, not one.
/// </summary>
internal static class GifScanner
{
    public static ImageStructure Scan(byte[] data)
    {
        ByteReader.Need(data, 0, 13, "the header");
        int width = ByteReader.U16LE(data, 6), height = ByteReader.U16LE(data, 8);
        byte packed = data[10];
        long pos = 13;
        if ((packed & 0x80) != 0) pos += 3L << ((packed & 7) + 1);
        ByteReader.Need(data, 0, pos, "the global colour table");
        int frames = 0;
        while (true)
        {
            byte block = ByteReader.U8(data, pos++);
            if (block == 0x3B) break;
            if (block == 0x21)
            {
                ByteReader.Need(data, pos, 1, "an extension");
                pos = SkipSubBlocks(data, pos + 1);
            }
            else if (block == 0x2C)
            {
                ByteReader.Need(data, pos, 9, "an image descriptor");
                byte local = data[pos + 8];
                pos += 9;
                if ((local & 0x80) != 0) pos += 3L << ((local & 7) + 1);
                byte minCodeSize = ByteReader.U8(data, pos++);
                if (minCodeSize is < 1 or > 11) throw new ImageStructureException("a frame has an invalid LZW code size");
                pos = SkipSubBlocks(data, pos);
                frames++;
            }
            else throw new ImageStructureException($"an unknown block type 0x{block:X2} at byte {pos - 1}");
        }
        if (frames == 0) throw new ImageStructureException("the GIF has no frames");
        long canvas = (long)width * height;
        return new ImageStructure(width, height, frames, canvas * frames, canvas * frames, data);
    }

    private static long SkipSubBlocks(byte[] data, long pos)
    {
        while (true)
        {
            byte size = ByteReader.U8(data, pos);
            if (size == 0) return pos + 1;
            ByteReader.Need(data, pos + 1, size, "a data sub-block");
            pos += 1 + size;
        }
    }
}
