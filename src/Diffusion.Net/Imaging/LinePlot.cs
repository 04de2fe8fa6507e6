using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Diffusion.Net.Imaging;

/// <summary>One line of a <see cref="LinePlot"/>.</summary>
/// <param name="Name">The legend entry.</param>
/// <param name="X">The x values.</param>
/// <param name="Y">The y values (same count; non-positive values are skipped on a log axis).</param>
/// <param name="Color">The line colour.</param>
public sealed record PlotSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, Rgb24 Color);

/// <summary>Options of <see cref="LinePlot"/>.</summary>
public sealed record LinePlotOptions
{
    /// <summary>Image width.</summary>
    public int Width { get; init; } = 800;

    /// <summary>Image height.</summary>
    public int Height { get; init; } = 480;

    /// <summary>The title.</summary>
    public string? Title { get; init; }

    /// <summary>The x-axis label.</summary>
    public string? XLabel { get; init; }

    /// <summary>The y-axis label.</summary>
    public string? YLabel { get; init; }

    /// <summary>A logarithmic y axis (as CS180's loss curves).</summary>
    public bool LogY { get; init; }
}

/// <summary>
/// Minimal line charts rendered with ImageSharp and the embedded font (training-loss curves), so plotting needs no
/// native graphics library.
/// </summary>
public static class LinePlot
{
    private static readonly Rgb24 Black = new(0, 0, 0);
    private static readonly Rgb24 Grid = new(225, 225, 225);

    /// <summary>Renders the series.</summary>
    public static Image<Rgb24> Render(IReadOnlyList<PlotSeries> series, LinePlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        options ??= new LinePlotOptions();
        if (options.Width < 200 || options.Height < 150) throw new ArgumentOutOfRangeException(nameof(options), "Plots need at least 200×150 pixels.");
        foreach (var s in series)
            if (s.X.Count != s.Y.Count) throw new ArgumentException($"Series '{s.Name}' has {s.X.Count} x values but {s.Y.Count} y values.", nameof(series));

        var points = series.SelectMany(s => s.X.Zip(s.Y)).Where(p => double.IsFinite(p.First) && double.IsFinite(p.Second) && (!options.LogY || p.Second > 0)).ToList();
        var image = new Image<Rgb24>(options.Width, options.Height, new Rgb24(255, 255, 255));
        const int left = 72, right = 16, top = 28, bottom = 44;
        int pw = options.Width - left - right, ph = options.Height - top - bottom;
        if (!string.IsNullOrEmpty(options.Title)) BitmapFont.Draw(image, options.Title, left, 8, Black);
        if (!string.IsNullOrEmpty(options.XLabel)) BitmapFont.Draw(image, options.XLabel, left + (pw - BitmapFont.Measure(options.XLabel)) / 2, options.Height - 16, Black);
        if (!string.IsNullOrEmpty(options.YLabel)) BitmapFont.Draw(image, options.YLabel, 4, 8, Black);
        if (points.Count == 0)
        {
            BitmapFont.Draw(image, "(no data)", left + pw / 2 - 27, top + ph / 2, Black);
            return image;
        }

        double xmin = points.Min(p => p.First), xmax = points.Max(p => p.First);
        if (xmax <= xmin) xmax = xmin + 1;
        Func<double, double> fy = options.LogY ? Math.Log10 : v => v;
        double ymin = points.Min(p => fy(p.Second)), ymax = points.Max(p => fy(p.Second));
        if (ymax <= ymin) { ymin -= 0.5; ymax += 0.5; }
        double margin = (ymax - ymin) * 0.04;
        ymin -= margin;
        ymax += margin;
        int Px(double x) => left + (int)Math.Round((x - xmin) / (xmax - xmin) * (pw - 1));
        int Py(double y) => top + ph - 1 - (int)Math.Round((fy(y) - ymin) / (ymax - ymin) * (ph - 1));

        foreach (var tick in Ticks(xmin, xmax, 8))
        {
            int x = Px(tick);
            VLine(image, x, top, top + ph - 1, Grid);
            var text = Format(tick);
            BitmapFont.Draw(image, text, x - BitmapFont.Measure(text) / 2, top + ph + 4, Black);
        }
        var yTicks = options.LogY
            ? Enumerable.Range((int)Math.Floor(ymin), (int)Math.Ceiling(ymax) - (int)Math.Floor(ymin) + 1).Select(k => Math.Pow(10, k)).Where(v => Math.Log10(v) >= ymin && Math.Log10(v) <= ymax).ToList()
            : Ticks(ymin, ymax, 6).ToList();
        if (options.LogY && yTicks.Count < 2)
        {
            yTicks = Ticks(Math.Pow(10, ymin), Math.Pow(10, ymax), 5).Where(v => v > 0).ToList();
        }
        foreach (var tick in yTicks)
        {
            int y = Py(tick);
            if (y < top || y >= top + ph) continue;
            HLine(image, left, left + pw - 1, y, Grid);
            var text = Format(tick);
            BitmapFont.Draw(image, text, left - 6 - BitmapFont.Measure(text), y - 6, Black);
        }
        HLine(image, left, left + pw - 1, top, Black);
        HLine(image, left, left + pw - 1, top + ph - 1, Black);
        VLine(image, left, top, top + ph - 1, Black);
        VLine(image, left + pw - 1, top, top + ph - 1, Black);

        int legendY = top + 6;
        foreach (var s in series)
        {
            (int X, int Y)? previous = null;
            for (int i = 0; i < s.X.Count; i++)
            {
                double x = s.X[i], y = s.Y[i];
                if (!double.IsFinite(x) || !double.IsFinite(y) || (options.LogY && y <= 0)) { previous = null; continue; }
                var p = (Px(x), Py(y));
                if (previous is { } q) Line(image, q.X, q.Y, p.Item1, p.Item2, s.Color);
                previous = p;
            }
            if (!string.IsNullOrEmpty(s.Name))
            {
                int lx = left + pw - 8 - BitmapFont.Measure(s.Name) - 24;
                HLine(image, lx, lx + 18, legendY + 6, s.Color);
                HLine(image, lx, lx + 18, legendY + 7, s.Color);
                BitmapFont.Draw(image, s.Name, lx + 24, legendY, Black);
                legendY += 16;
            }
        }
        return image;
    }

    /// <summary>Renders and saves as PNG (atomically).</summary>
    public static void Save(string path, IReadOnlyList<PlotSeries> series, LinePlotOptions? options = null)
    {
        using var image = Render(series, options);
        ImageIO.SavePng(image, path);
    }

    internal static IEnumerable<double> Ticks(double min, double max, int target)
    {
        double raw = (max - min) / Math.Max(1, target);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        for (double v = Math.Ceiling(min / step) * step; v <= max + step * 1e-9; v += step) yield return Math.Abs(v) < step * 1e-9 ? 0 : v;
    }

    private static string Format(double v)
    {
        double a = Math.Abs(v);
        if (a == 0) return "0";
        if (a >= 1e5 || a < 1e-3) return v.ToString("0.#e0", CultureInfo.InvariantCulture);
        return v.ToString(a >= 100 ? "0" : a >= 1 ? "0.##" : "0.####", CultureInfo.InvariantCulture);
    }

    private static void HLine(Image<Rgb24> image, int x0, int x1, int y, Rgb24 c)
    {
        if (y < 0 || y >= image.Height) return;
        for (int x = Math.Max(0, x0); x <= Math.Min(image.Width - 1, x1); x++) image[x, y] = c;
    }

    private static void VLine(Image<Rgb24> image, int x, int y0, int y1, Rgb24 c)
    {
        if (x < 0 || x >= image.Width) return;
        for (int y = Math.Max(0, y0); y <= Math.Min(image.Height - 1, y1); y++) image[x, y] = c;
    }

    private static void Line(Image<Rgb24> image, int x0, int y0, int x1, int y1, Rgb24 c)
    {
        int dx = Math.Abs(x1 - x0), sx = x0 < x1 ? 1 : -1, dy = -Math.Abs(y1 - y0), sy = y0 < y1 ? 1 : -1, err = dx + dy;
        while (true)
        {
            if (x0 >= 0 && x0 < image.Width && y0 >= 0 && y0 < image.Height) image[x0, y0] = c;
            if (x0 == x1 && y0 == y1) break;
            int e2 = 2 * err;
            if (e2 >= dy) { err += dy; x0 += sx; }
            if (e2 <= dx) { err += dx; y0 += sy; }
        }
    }
}
