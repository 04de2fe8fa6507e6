namespace Diffusion.Net.Imaging.Formats;

/// <summary>
/// Walks JPEG markers and entropy-coded segments up to EOI: one frame header before the first scan, every segment
/// inside the file, and the number of scans counted, because a progressive decoder revisits every coefficient once
/// per scan (thousands of tiny scans make a CPU bomb of a few KB). Application segments other than JFIF (APP0) and
/// Adobe (APP14, which selects the colour transform) and comments are dropped: pixels never depend on them, and
/// EXIF/ICC/XMP parsers are attack surface.
/// </summary>
internal static class JpegScanner
{
    public static ImageStructure Scan(byte[] data)
    {
        ByteReader.Need(data, 0, 2, "the signature");
        var output = new MemoryStream(data.Length);
        output.Write(data, 0, 2);
        bool dropped = false;
        int width = 0, height = 0, scans = 0;
        bool frame = false;
        long pos = 2;
        while (true)
        {
            if (ByteReader.U8(data, pos) != 0xFF) throw new ImageStructureException($"a marker is expected at byte {pos}");
            while (ByteReader.U8(data, pos + 1) == 0xFF) pos++;
            byte marker = data[pos + 1];
            long markerStart = pos;
            pos += 2;
            if (marker == 0xD9)
            {
                output.Write(data, (int)markerStart, 2);
                break;
            }
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                output.Write(data, (int)markerStart, 2);
                continue;
            }
            if (marker is 0x00 or 0xD8) throw new ImageStructureException($"an unexpected marker 0x{marker:X2} at byte {markerStart}");
            int length = ByteReader.U16BE(data, pos);
            if (length < 2) throw new ImageStructureException($"a segment at byte {markerStart} has length {length}");
            ByteReader.Need(data, pos, length, "a segment");
            bool isFrame = marker is (>= 0xC0 and <= 0xC3) or (>= 0xC5 and <= 0xC7) or (>= 0xC9 and <= 0xCB) or (>= 0xCD and <= 0xCF);
            if (isFrame)
            {
                if (frame) throw new ImageStructureException("there is more than one frame header");
                if (length < 8) throw new ImageStructureException("the frame header is too short");
                height = ByteReader.U16BE(data, pos + 3);
                width = ByteReader.U16BE(data, pos + 5);
                frame = true;
            }
            bool drop = marker is (>= 0xE1 and <= 0xED) or 0xEF or 0xFE;
            if (drop) dropped = true;
            else output.Write(data, (int)markerStart, 2 + length);
            pos += length;
            if (marker == 0xDA)
            {
                if (!frame) throw new ImageStructureException("a scan comes before the frame header");
                scans++;
                long start = pos;
                pos = SkipEntropyCodedData(data, pos);
                output.Write(data, (int)start, (int)(pos - start));
            }
        }
        if (!frame) throw new ImageStructureException("there is no frame header");
        if (scans == 0) throw new ImageStructureException("there is no scan");
        long pixels = (long)width * height;
        return new ImageStructure(width, height, 1, pixels, pixels * scans, dropped ? output.ToArray() : data);
    }

    /// <summary>The position of the next marker after entropy-coded data (FF 00 is a stuffed byte, FF D0–D7 a restart).</summary>
    private static long SkipEntropyCodedData(byte[] data, long pos)
    {
        while (true)
        {
            int next = Array.IndexOf(data, (byte)0xFF, (int)Math.Min(pos, data.Length));
            if (next < 0 || next + 1 >= data.Length) throw new ImageStructureException("the JPEG data is truncated (no end-of-image marker)");
            byte b = data[next + 1];
            if (b == 0x00 || b is >= 0xD0 and <= 0xD7 || b == 0xFF) { pos = next + (b == 0xFF ? 1 : 2); continue; }
            return next;
        }
    }
}
