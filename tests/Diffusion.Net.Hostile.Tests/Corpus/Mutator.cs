namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>
/// Deterministic byte-level mutations of a valid seed (bit flips, interesting values, truncation, insertion,
/// deletion, duplication), half of them aimed at the first 64 bytes where headers and lengths live.
/// </summary>
internal static class Mutator
{
    private static readonly byte[] InterestingBytes = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];
    private static readonly uint[] InterestingInts = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFF, 0x10000, 0x40000000];

    public static byte[] Mutate(byte[] seed, int index)
    {
        var random = new Random(unchecked(index * 7919 + seed.Length));
        var data = seed.ToList();
        int operations = 1 + random.Next(3);
        for (int k = 0; k < operations && data.Count > 0; k++)
        {
            int Position() => random.Next(2) == 0 ? random.Next(Math.Min(64, data.Count)) : random.Next(data.Count);
            switch (random.Next(8))
            {
                case 0:
                    for (int b = 0; b < 1 + random.Next(8); b++) { int p = Position(); data[p] ^= (byte)(1 << random.Next(8)); }
                    break;
                case 1: data[Position()] = InterestingBytes[random.Next(InterestingBytes.Length)]; break;
                case 2:
                {
                    int p = Math.Min(Position(), Math.Max(0, data.Count - 4));
                    var v = BitConverter.GetBytes(InterestingInts[random.Next(InterestingInts.Length)]);
                    if (random.Next(2) == 0) Array.Reverse(v);
                    for (int i = 0; i < 4 && p + i < data.Count; i++) data[p + i] = v[i];
                    break;
                }
                case 3:
                {
                    int cut = random.Next(data.Count);
                    data.RemoveRange(cut, data.Count - cut);
                    break;
                }
                case 4:
                {
                    var junk = new byte[1 + random.Next(64)];
                    random.NextBytes(junk);
                    data.InsertRange(Position(), junk);
                    break;
                }
                case 5:
                {
                    int p = Position();
                    data.RemoveRange(p, Math.Min(data.Count - p, 1 + random.Next(32)));
                    break;
                }
                case 6:
                {
                    int p = Position(), n = Math.Min(data.Count - p, 1 + random.Next(256));
                    data.InsertRange(random.Next(data.Count), data.GetRange(p, n));
                    break;
                }
                default:
                {
                    var junk = new byte[1 + random.Next(128)];
                    random.NextBytes(junk);
                    data.AddRange(junk);
                    break;
                }
            }
        }
        if (data.Count == 0) data.Add(0);
        return [.. data];
    }

    /// <summary>The seed cut at <paramref name="fraction"/> of its length.</summary>
    public static byte[] Truncate(byte[] seed, double fraction) => seed[..Math.Max(1, (int)(seed.Length * fraction))];
}
