using System.Globalization;
using System.Text.Json;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>One timing child's answer: the median of its repetitions and its peak resident memory.</summary>
internal sealed record ChildResult(string Side, double MedianS, double[] Times, long PeakRssKb, string? Error = null)
{
    public static long PeakRss()
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? -1 : long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    public static ChildResult FromTimes(string side, List<double> times)
    {
        var sorted = times.Order().ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        return new ChildResult(side, median, [.. times], PeakRss());
    }

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["side"] = Side, ["median_s"] = MedianS, ["times"] = Times, ["peak_rss_kb"] = PeakRssKb,
    });

    public static ChildResult Parse(string json)
    {
        var line = json.Split('\n').Last(l => l.TrimStart().StartsWith('{'));
        using var doc = JsonDocument.Parse(line);
        var r = doc.RootElement;
        if (r.TryGetProperty("error", out var error))
            return new ChildResult(r.GetProperty("side").GetString()!, double.NaN, [], r.GetProperty("peak_rss_kb").GetInt64(), error.GetString());
        return new ChildResult(r.GetProperty("side").GetString()!, r.GetProperty("median_s").GetDouble(),
            r.GetProperty("times").EnumerateArray().Select(e => e.GetDouble()).ToArray(), r.GetProperty("peak_rss_kb").GetInt64());
    }
}
