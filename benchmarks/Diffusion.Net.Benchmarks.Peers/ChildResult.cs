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

    /// <summary>Set to 1 in a child's environment to write its memory at each stage to stderr (<see cref="Trace"/>).</summary>
    public const string MemoryTraceVariable = "DN_PEERS_MEMTRACE";

    /// <summary>
    /// One stderr line of the process's memory now: resident anonymous and file-backed pages (smaps_rollup) and the
    /// peak so far, so a peak can be split into the engine's base, its weights and its activations.
    /// </summary>
    public static void Trace(string stage)
    {
        if (Environment.GetEnvironmentVariable(MemoryTraceVariable) is not ("1" or "2")) return;
        if (Environment.GetEnvironmentVariable(MemoryTraceVariable) == "2") File.Copy("/proc/self/smaps", $"/tmp/smaps-{Environment.ProcessId}-{stage.Replace(' ', '_')}", true);
        var fields = new Dictionary<string, long>();
        foreach (var l in File.ReadLines("/proc/self/smaps_rollup"))
        {
            var parts = l.Split(':', 2);
            if (parts.Length == 2 && parts[0] is "Rss" or "Anonymous" or "Private_Dirty" or "Shared_Clean" or "Private_Clean")
                fields[parts[0]] = long.Parse(parts[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"memtrace {stage}: rss {fields.GetValueOrDefault("Rss") / 1024.0:0.0} MB, anon {fields.GetValueOrDefault("Anonymous") / 1024.0:0.0}, file-clean {(fields.GetValueOrDefault("Shared_Clean") + fields.GetValueOrDefault("Private_Clean")) / 1024.0:0.0}, private-dirty {fields.GetValueOrDefault("Private_Dirty") / 1024.0:0.0}, peak {PeakRss() / 1024.0:0.0}"));
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
