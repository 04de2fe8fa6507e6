namespace Diffusion.Net.Imaging.Formats;

/// <summary>
/// Checks that a Netpbm file (P1–P6) holds all the samples its header describes: the exact byte count for the
/// binary variants, enough numbers for the plain ones.
/// </summary>
internal static class PbmScanner
{
    public static ImageStructure Scan(byte[] data)
    {
        ByteReader.Need(data, 0, 2, "the magic number");
        char kind = (char)data[1];
        if (data[0] != (byte)'P' || kind is < '1' or > '6') throw new ImageStructureException("the Netpbm magic number is not P1–P6");
        long pos = 2;
        long width = Number(data, ref pos), height = Number(data, ref pos);
        long max = kind is '1' or '4' ? 1 : Number(data, ref pos);
        if (width < 1 || height < 1 || width > int.MaxValue || height > int.MaxValue) throw new ImageStructureException($"the header claims a size of {width}×{height}");
        if (max is < 1 or > 65535) throw new ImageStructureException("the maximum sample value is out of range");
        int channels = kind is '3' or '6' ? 3 : 1;
        long samples = width * height * channels;
        if (kind is >= '4')
        {
            pos++; // the single whitespace byte after the header
            long bytes = kind == '4' ? (width + 7) / 8 * height : samples * (max > 255 ? 2 : 1);
            ByteReader.Need(data, pos, bytes, "the pixel data");
        }
        else
        {
            long found = 0;
            while (found < samples)
            {
                if (kind == '1')
                {
                    while (pos < data.Length && data[pos] is not ((byte)'0' or (byte)'1')) pos++;
                    if (pos >= data.Length) break;
                    pos++;
                    found++;
                }
                else
                {
                    if (!TryNumber(data, ref pos, out _)) break;
                    found++;
                }
            }
            if (found < samples) throw new ImageStructureException($"the file is truncated ({found} of {samples} samples)");
        }
        return new ImageStructure((int)width, (int)height, 1, width * height, width * height, data);
    }

    private static long Number(byte[] data, ref long pos)
        => TryNumber(data, ref pos, out long value) ? value : throw new ImageStructureException("the Netpbm header is truncated or malformed");

    private static bool TryNumber(byte[] data, ref long pos, out long value)
    {
        value = 0;
        while (pos < data.Length)
        {
            if (data[pos] == (byte)'#') { while (pos < data.Length && data[pos] != (byte)'\n') pos++; }
            else if (data[pos] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') pos++;
            else break;
        }
        int digits = 0;
        while (pos < data.Length && data[pos] is >= (byte)'0' and <= (byte)'9')
        {
            if (++digits > 10) throw new ImageStructureException("a Netpbm number is too long");
            value = value * 10 + (data[pos] - '0');
            pos++;
        }
        return digits > 0;
    }
}
