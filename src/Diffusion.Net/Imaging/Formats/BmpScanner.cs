namespace Diffusion.Net.Imaging.Formats;

/// <summary>
/// Checks that a BMP holds all the pixel data its header describes: uncompressed rows (stride × height from the
/// pixel offset), or RLE-4/RLE-8 codes that reach their end-of-bitmap mark inside the file. The decoder would
/// otherwise zero-fill a truncated file.
/// </summary>
internal static class BmpScanner
{
    public static ImageStructure Scan(byte[] data)
    {
        ByteReader.Need(data, 0, 26, "the header");
        uint offset = ByteReader.U32LE(data, 10);
        uint headerSize = ByteReader.U32LE(data, 14);
        int width, height, bpp;
        uint compression = 0;
        if (headerSize == 12)
        {
            width = ByteReader.U16LE(data, 18);
            height = ByteReader.U16LE(data, 20);
            bpp = ByteReader.U16LE(data, 24);
        }
        else if (headerSize >= 40)
        {
            width = ByteReader.I32LE(data, 18);
            height = ByteReader.I32LE(data, 22);
            bpp = ByteReader.U16LE(data, 28);
            compression = ByteReader.U32LE(data, 30);
        }
        else throw new ImageStructureException($"the BMP info header of {headerSize} bytes is not supported");
        if (height == int.MinValue) throw new ImageStructureException("the height is out of range");
        int rows = Math.Abs(height);
        if (width < 1 || rows < 1) throw new ImageStructureException($"the header claims a size of {width}×{height}");
        if (bpp is not (1 or 2 or 4 or 8 or 16 or 24 or 32)) throw new ImageStructureException($"{bpp} bits per pixel is not supported");
        if (offset < 14 + headerSize || offset > data.Length) throw new ImageStructureException("the pixel data offset lies outside the file");
        switch (compression)
        {
            case 0 or 3 or 6:
                long stride = ((long)width * bpp + 31) / 32 * 4;
                ByteReader.Need(data, offset, stride * rows, "the pixel data");
                break;
            case 1 or 2:
                CheckRle(data, offset, compression == 1);
                break;
            default:
                throw new ImageStructureException($"BMP compression {compression} is not supported");
        }
        long pixels = (long)width * rows;
        return new ImageStructure(width, rows, 1, pixels, pixels, data);
    }

    private static void CheckRle(byte[] data, long pos, bool rle8)
    {
        while (true)
        {
            ByteReader.Need(data, pos, 2, "the RLE data");
            byte count = data[pos], value = data[pos + 1];
            pos += 2;
            if (count != 0) continue;
            switch (value)
            {
                case 0: break;
                case 1: return;
                case 2: ByteReader.Need(data, pos, 2, "an RLE delta"); pos += 2; break;
                default:
                    long bytes = rle8 ? value : (value + 1) / 2;
                    bytes += bytes & 1;
                    ByteReader.Need(data, pos, bytes, "an RLE literal run");
                    pos += bytes;
                    break;
            }
        }
    }
}
