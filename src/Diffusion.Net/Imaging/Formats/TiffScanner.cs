namespace Diffusion.Net.Imaging.Formats;

/// <summary>
/// Walks the chain of TIFF image directories (each one a frame): every directory and every strip or tile the
/// offsets and byte counts point at must lie inside the file, and the chain must not loop.
/// </summary>
internal static class TiffScanner
{
    private const int MaxDirectories = 4096;

    public static ImageStructure Scan(byte[] data)
    {
        ByteReader.Need(data, 0, 8, "the header");
        bool little = data[0] == (byte)'I';
        if (U16(data, 2, little) != 42) throw new ImageStructureException("BigTIFF and other TIFF variants are not supported");
        long ifd = U32(data, 4, little);
        var seen = new HashSet<long>();
        int frames = 0, firstWidth = 0, firstHeight = 0;
        long total = 0;
        while (ifd != 0)
        {
            if (!seen.Add(ifd) || seen.Count > MaxDirectories) throw new ImageStructureException("the image directories form a loop or are too many");
            int entries = U16(data, ifd, little);
            ByteReader.Need(data, ifd + 2, 12L * entries + 4, "an image directory");
            long width = 0, height = 0;
            long[]? offsets = null, counts = null;
            for (int i = 0; i < entries; i++)
            {
                long e = ifd + 2 + 12L * i;
                int tag = U16(data, e, little), type = U16(data, e + 2, little);
                long count = U32(data, e + 4, little);
                switch (tag)
                {
                    case 256: width = Values(data, e, type, count, little)[0]; break;
                    case 257: height = Values(data, e, type, count, little)[0]; break;
                    case 273 or 324: offsets = Values(data, e, type, count, little); break;
                    case 279 or 325: counts = Values(data, e, type, count, little); break;
                }
            }
            if (width < 1 || height < 1 || width > int.MaxValue || height > int.MaxValue) throw new ImageStructureException($"a directory claims a size of {width}×{height}");
            if (offsets is null || counts is null || offsets.Length != counts.Length) throw new ImageStructureException("a directory's strip or tile offsets and byte counts are missing or disagree");
            for (int s = 0; s < offsets.Length; s++) ByteReader.Need(data, offsets[s], counts[s], "a strip or tile");
            if (frames == 0) { firstWidth = (int)width; firstHeight = (int)height; }
            total += width * height;
            frames++;
            ifd = U32(data, ifd + 2 + 12L * entries, little);
        }
        return new ImageStructure(firstWidth, firstHeight, frames, total, total, data);
    }

    private static long[] Values(byte[] data, long entry, int type, long count, bool little)
    {
        int size = type switch { 3 => 2, 4 => 4, _ => throw new ImageStructureException($"a size or offset field has TIFF type {type}") };
        if (count < 1 || count > 1 << 24) throw new ImageStructureException("a field has an invalid value count");
        long at = size * count <= 4 ? entry + 8 : U32(data, entry + 8, little);
        ByteReader.Need(data, at, size * count, "a field's values");
        var values = new long[count];
        for (long i = 0; i < count; i++) values[i] = size == 2 ? U16(data, at + 2 * i, little) : U32(data, at + 4 * i, little);
        return values;
    }

    private static int U16(byte[] d, long o, bool little) => little ? ByteReader.U16LE(d, o) : ByteReader.U16BE(d, o);

    private static long U32(byte[] d, long o, bool little) => little ? ByteReader.U32LE(d, o) : ByteReader.U32BE(d, o);
}
