namespace Diffusion.Net.Imaging.Formats;

/// <summary>
/// Walks the RIFF chunks of a WebP file: the RIFF size and every chunk must lie inside the file, and exactly one
/// still image (VP8 or VP8L) must be present; its size is read from the bitstream header.
/// </summary>
internal static class WebpScanner
{
    public static ImageStructure Scan(byte[] data)
    {
        ByteReader.Need(data, 0, 12, "the RIFF header");
        long riff = ByteReader.U32LE(data, 4);
        ByteReader.Need(data, 8, riff, "the RIFF container");
        long end = 8 + riff, pos = 12;
        int width = 0, height = 0, images = 0;
        while (pos < end)
        {
            ByteReader.Need(data, pos, 8, "a chunk header");
            var type = System.Text.Encoding.ASCII.GetString(data, (int)pos, 4);
            long size = ByteReader.U32LE(data, pos + 4);
            ByteReader.Need(data, pos + 8, size, $"the {type.Trim()} chunk");
            long body = pos + 8;
            switch (type)
            {
                case "VP8 ":
                    ByteReader.Need(data, body, 10, "the VP8 header");
                    width = ByteReader.U16LE(data, body + 6) & 0x3FFF;
                    height = ByteReader.U16LE(data, body + 8) & 0x3FFF;
                    images++;
                    break;
                case "VP8L":
                    ByteReader.Need(data, body, 5, "the VP8L header");
                    uint bits = ByteReader.U32LE(data, body + 1);
                    width = (int)(bits & 0x3FFF) + 1;
                    height = (int)((bits >> 14) & 0x3FFF) + 1;
                    images++;
                    break;
                case "ANIM" or "ANMF":
                    throw new ImageStructureException("animated WebP is not supported");
            }
            pos = body + size + (size & 1);
        }
        if (images != 1) throw new ImageStructureException($"the WebP holds {images} images; one is expected");
        long pixels = (long)width * height;
        return new ImageStructure(width, height, 1, pixels, pixels, data);
    }
}
