namespace Diffusion.Net.IO;

/// <summary>The CRC-32 of zip entries and PNG chunks (ISO 3309, polynomial 0xEDB88320).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> bytes) => Append(0, bytes);

    /// <summary>The CRC of the concatenation: <c>Append(Compute(a), b) == Compute(a + b)</c>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> bytes)
    {
        uint c = crc ^ 0xFFFFFFFF;
        foreach (var b in bytes) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFF;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
