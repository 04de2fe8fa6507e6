namespace Diffusion.Net.Imaging.Formats;

/// <summary>
/// Checks that a TGA holds all the pixels its header describes: w × h × bytes per pixel after the id and colour map
/// for uncompressed images, or run-length packets covering every pixel for RLE images.
/// </summary>
internal static class TgaScanner
{
    public static ImageStructure Scan(byte[] data)
    {
        ByteReader.Need(data, 0, 18, "the header");
        int idLength = data[0], colorMapType = data[1], imageType = data[2];
        int mapLength = ByteReader.U16LE(data, 5), mapEntryBits = data[7];
        int width = ByteReader.U16LE(data, 12), height = ByteReader.U16LE(data, 14), bpp = data[16];
        if (width < 1 || height < 1) throw new ImageStructureException($"the header claims a size of {width}×{height}");
        if (bpp is not (8 or 15 or 16 or 24 or 32)) throw new ImageStructureException($"{bpp} bits per pixel is not supported");
        long pos = 18L + idLength + (colorMapType == 1 ? (long)mapLength * ((mapEntryBits + 7) / 8) : 0);
        ByteReader.Need(data, 0, pos, "the colour map");
        int pixelBytes = (bpp + 7) / 8;
        long pixels = (long)width * height;
        switch (imageType)
        {
            case 1 or 2 or 3:
                ByteReader.Need(data, pos, pixels * pixelBytes, "the pixel data");
                break;
            case 9 or 10 or 11:
                long done = 0;
                while (done < pixels)
                {
                    byte header = ByteReader.U8(data, pos++);
                    int n = (header & 0x7F) + 1;
                    long bytes = (header & 0x80) != 0 ? pixelBytes : (long)n * pixelBytes;
                    ByteReader.Need(data, pos, bytes, "the run-length data");
                    pos += bytes;
                    done += n;
                }
                break;
            default:
                throw new ImageStructureException($"TGA image type {imageType} is not supported");
        }
        return new ImageStructure(width, height, 1, pixels, pixels, data);
    }
}
