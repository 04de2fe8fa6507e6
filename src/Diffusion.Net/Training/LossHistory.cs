using System.Globalization;
using System.Text;
using Diffusion.Net.IO;
using Diffusion.Net.Imaging;
using SixLabors.ImageSharp.PixelFormats;

namespace Diffusion.Net.Training;

/// <summary>One logged training loss.</summary>
/// <param name="Step">The global optimisation step (1-based).</param>
/// <param name="Epoch">The epoch (1-based).</param>
/// <param name="Loss">The batch loss.</param>
public readonly record struct LossPoint(long Step, int Epoch, double Loss);

/// <summary>The loss of every training step, saved as CSV and plotted as PNG (log scale, with a moving average).</summary>
public sealed class LossHistory
{
    private readonly List<LossPoint> _points = [];

    /// <summary>The points, in order.</summary>
    public IReadOnlyList<LossPoint> Points => _points;

    /// <summary>Appends a point.</summary>
    public void Add(LossPoint point) => _points.Add(point);

    /// <summary>The mean loss of epoch <paramref name="epoch"/> (1-based), or NaN.</summary>
    public double EpochMean(int epoch)
    {
        var e = _points.Where(p => p.Epoch == epoch).ToList();
        return e.Count == 0 ? double.NaN : e.Average(p => p.Loss);
    }

    /// <summary>Writes <c>step,epoch,loss</c> rows atomically.</summary>
    public void SaveCsv(string path)
    {
        var sb = new StringBuilder("step,epoch,loss\n");
        foreach (var p in _points) sb.Append(CultureInfo.InvariantCulture, $"{p.Step},{p.Epoch},{p.Loss:R}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>Reads a CSV written by <see cref="SaveCsv"/>.</summary>
    public static LossHistory LoadCsv(string path)
    {
        var history = new LossHistory();
        int line = 0;
        foreach (var row in File.ReadLines(path).Skip(1))
        {
            line++;
            var parts = row.Split(',');
            if (parts.Length != 3 || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var step) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var epoch)
                || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var loss))
                throw new InvalidDataException($"'{path}' line {line + 1} is not 'step,epoch,loss': '{row}'.");
            history.Add(new LossPoint(step, epoch, loss));
        }
        return history;
    }

    /// <summary>Plots the per-step loss and a moving average (log y axis, as CS180's figures) to a PNG, atomically.</summary>
    public void SavePlot(string path, string title, int window = 50)
    {
        var x = _points.Select(p => (double)p.Step).ToArray();
        var y = _points.Select(p => p.Loss).ToArray();
        var smooth = new double[y.Length];
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            sum += y[i];
            if (i >= window) sum -= y[i - window];
            smooth[i] = sum / Math.Min(i + 1, window);
        }
        LinePlot.Save(path,
        [
            new PlotSeries("per step", x, y, new Rgb24(160, 190, 230)),
            new PlotSeries($"mean of {window}", x, smooth, new Rgb24(20, 60, 160)),
        ], new LinePlotOptions { Title = title, XLabel = "training step", YLabel = "loss", LogY = true });
    }
}
