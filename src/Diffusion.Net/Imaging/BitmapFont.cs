using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Diffusion.Net.Imaging;

/// <summary>
/// A tiny embedded 6×13 bitmap font (X11 misc-fixed, public domain) for labels on image sheets and plots, so the
/// library needs no font files and no drawing package. ASCII, a few Latin-1 symbols and Greek letters.
/// </summary>
internal static partial class BitmapFont
{
    public const int CellWidth = 6;
    public const int CellHeight = 13;

    // Lazy: the glyph table lives in the generated partial file, whose static initialiser may run after this one.
    private static readonly Lazy<Dictionary<char, byte[]>> LazyMap = new(() => Glyphs.ToDictionary(g => g.Char, g => g.Rows));

    private static Dictionary<char, byte[]> Map => LazyMap.Value;

    /// <summary>Replaces characters the font lacks with close ASCII equivalents.</summary>
    public static string Normalize(string text)
        => text.Replace("…", "...").Replace("→", "->").Replace("ᾱ", "α").Replace("−", "-").Replace("–", "-").Replace("—", "-")
               .Replace("≤", "<=").Replace("≥", ">=").Replace("√", "sqrt").Replace("ε̂", "ε").Replace("x̂", "x");

    /// <summary>The width in pixels of <paramref name="text"/> at <paramref name="scale"/>.</summary>
    public static int Measure(string text, int scale = 1) => Normalize(text).Length * CellWidth * scale;

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y), clipped to the image.</summary>
    public static void Draw(Image<Rgb24> image, string text, int x, int y, Rgb24 color, int scale = 1)
    {
        text = Normalize(text);
        image.ProcessPixelRows(rows =>
        {
            for (int i = 0; i < text.Length; i++)
            {
                if (!Map.TryGetValue(text[i], out var glyph)) glyph = Map['?'];
                int ox = x + i * CellWidth * scale;
                for (int r = 0; r < CellHeight; r++)
                {
                    for (int c = 0; c < CellWidth; c++)
                    {
                        if ((glyph[r] >> (CellWidth - 1 - c) & 1) == 0) continue;
                        for (int sy = 0; sy < scale; sy++)
                        {
                            int py = y + r * scale + sy;
                            if (py < 0 || py >= rows.Height) continue;
                            var row = rows.GetRowSpan(py);
                            for (int sx = 0; sx < scale; sx++)
                            {
                                int px = ox + c * scale + sx;
                                if (px >= 0 && px < row.Length) row[px] = color;
                            }
                        }
                    }
                }
            }
        });
    }
}
