using System.Globalization;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>What the inference and training parents share: medians, invariant numbers, the Python scripts, the CPU name.</summary>
internal static class PeerTools
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    public static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>benchmarks/peers/<paramref name="fileName"/>, found above the executable (the harness runs from its bin folder).</summary>
    public static string Script(string fileName)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "benchmarks", "peers", fileName);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"benchmarks/peers/{fileName} not found above " + AppContext.BaseDirectory);
    }

    public static string Cpu() => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown"
        : "unknown";
}
