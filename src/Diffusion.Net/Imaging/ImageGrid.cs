using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace Diffusion.Net.Imaging;

/// <summary>Options of <see cref="ImageGrid"/>.</summary>
public sealed record ImageGridOptions
{
    /// <summary>
    /// The pixel range of the tiles; null (the default) takes each tensor's mark (<see cref="PixelRanges"/>: a pipeline
    /// sample carries its model's range), and [−1, 1] for an unmarked tensor.
    /// </summary>
    public PixelRange? Range { get; init; }

    /// <summary>Integer nearest-neighbour upscaling of every tile (e.g. 3 for 28-pixel digits).</summary>
    public int Scale { get; init; } = 1;

    /// <summary>Pixels between tiles and around the sheet.</summary>
    public int Padding { get; init; } = 4;

    /// <summary>A caption under each tile (null or fewer than tiles: the rest unlabelled).</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>A title line above the grid.</summary>
    public string? Title { get; init; }

    /// <summary>The background colour.</summary>
    public Rgb24 Background { get; init; } = new(255, 255, 255);

    /// <summary>The text colour.</summary>
    public Rgb24 TextColor { get; init; } = new(0, 0, 0);
}

/// <summary>Contact sheets: tiles in a grid with optional captions and title, rendered with an embedded font.</summary>
public static class ImageGrid
{
    /// <summary>Lays out <paramref name="tiles"/> (each [C, H, W] or [1, C, H, W], all the same size) row by row.</summary>
    public static Image<Rgb24> Create(IReadOnlyList<Tensor> tiles, int columns, ImageGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tiles);
        options ??= new ImageGridOptions();
        if (tiles.Count == 0) throw new ArgumentException("A grid needs at least one tile.", nameof(tiles));
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Scale, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Padding);
        var images = new List<Image<Rgb24>>();
        try
        {
            foreach (var t in tiles) images.Add(ImageIO.ToImage(t, options.Range));
            return Compose(images, columns, options);
        }
        finally
        {
            foreach (var i in images) i.Dispose();
        }
    }

    /// <summary>Lays out every row of a batch [B, C, H, W].</summary>
    public static Image<Rgb24> Create(Tensor batch, int columns, ImageGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.dim() != 4) throw new ArgumentException($"Expected a batch [B, C, H, W]; got [{string.Join(", ", batch.shape)}].", nameof(batch));
        // The rows are new tensor objects without the batch's mark: resolve the range from the batch itself.
        options = (options ?? new ImageGridOptions()) with { Range = PixelRanges.Resolve(batch, options?.Range) };
        using var scope = NewDisposeScope();
        var tiles = Enumerable.Range(0, (int)batch.shape[0]).Select(i => batch[i]).ToList();
        return Create(tiles, columns, options);
    }

    /// <summary>Lays out images (not disposed) in a grid.</summary>
    public static Image<Rgb24> Compose(IReadOnlyList<Image<Rgb24>> images, int columns, ImageGridOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        options ??= new ImageGridOptions();
        if (images.Count == 0) throw new ArgumentException("A grid needs at least one image.", nameof(images));
        int tw = images[0].Width * options.Scale, th = images[0].Height * options.Scale;
        foreach (var im in images)
            if (im.Width * options.Scale != tw || im.Height * options.Scale != th)
                throw new ArgumentException($"All tiles must have the same size; found {images[0].Width}×{images[0].Height} and {im.Width}×{im.Height}.", nameof(images));
        columns = Math.Min(columns, images.Count);
        int rows = (images.Count + columns - 1) / columns;
        int pad = options.Padding;
        int maxChars = Math.Max(1, tw / BitmapFont.CellWidth);
        var wrapped = Enumerable.Range(0, images.Count)
            .Select(i => options.Labels is not null && i < options.Labels.Count ? Wrap(options.Labels[i] ?? "", maxChars) : [])
            .ToList();
        int labelLines = wrapped.Count == 0 ? 0 : wrapped.Max(l => l.Count);
        int labelHeight = labelLines * (BitmapFont.CellHeight + 1);
        int titleHeight = string.IsNullOrEmpty(options.Title) ? 0 : BitmapFont.CellHeight + pad;
        int width = Math.Max(columns * (tw + pad) + pad, string.IsNullOrEmpty(options.Title) ? 0 : BitmapFont.Measure(options.Title) + 2 * pad);
        int height = titleHeight + rows * (th + labelHeight + pad) + pad;
        var sheet = new Image<Rgb24>(width, height, options.Background);
        if (!string.IsNullOrEmpty(options.Title)) BitmapFont.Draw(sheet, options.Title, pad, pad, options.TextColor);
        for (int i = 0; i < images.Count; i++)
        {
            int r = i / columns, c = i % columns;
            int x = pad + c * (tw + pad), y = titleHeight + pad + r * (th + labelHeight + pad);
            using (var tile = options.Scale == 1 ? images[i].Clone() : images[i].Clone(m => m.Resize(tw, th, KnownResamplers.NearestNeighbor)))
                sheet.Mutate(m => m.DrawImage(tile, new Point(x, y), 1f));
            for (int l = 0; l < wrapped[i].Count; l++)
                BitmapFont.Draw(sheet, wrapped[i][l], x, y + th + 1 + l * (BitmapFont.CellHeight + 1), options.TextColor);
        }
        return sheet;
    }

    /// <summary>Saves a grid of tensors as a PNG (atomically).</summary>
    public static void Save(string path, IReadOnlyList<Tensor> tiles, int columns, ImageGridOptions? options = null)
    {
        using var image = Create(tiles, columns, options);
        ImageIO.SavePng(image, path);
    }

    /// <summary>Saves every row of a batch [B, C, H, W] as a grid PNG (atomically).</summary>
    public static void Save(string path, Tensor batch, int columns, ImageGridOptions? options = null)
    {
        using var image = Create(batch, columns, options);
        ImageIO.SavePng(image, path);
    }

    private static List<string> Wrap(string text, int maxChars)
    {
        var lines = new List<string>();
        foreach (var paragraph in BitmapFont.Normalize(text).Split('\n'))
        {
            var line = "";
            foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var w = word;
                while (w.Length > maxChars)
                {
                    if (line.Length > 0) { lines.Add(line); line = ""; }
                    lines.Add(w[..maxChars]);
                    w = w[maxChars..];
                }
                if (line.Length == 0) line = w;
                else if (line.Length + 1 + w.Length <= maxChars) line += " " + w;
                else { lines.Add(line); line = w; }
            }
            if (line.Length > 0) lines.Add(line);
        }
        return lines;
    }
}
