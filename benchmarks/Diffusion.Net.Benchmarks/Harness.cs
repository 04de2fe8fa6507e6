using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks;

internal static class Harness
{
    public static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() : "unknown";
        return $"{Environment.ProcessorCount} logical CPUs ({cpu}), torch threads {get_num_threads()}, {Environment.OSVersion}, .NET {Environment.Version}";
    }

    /// <summary>Peak resident set (VmHWM) of this process, in MB.</summary>
    public static double PeakRssMb() => StatusKb("VmHWM:") / 1024.0;

    /// <summary>Current resident set (VmRSS), in MB.</summary>
    public static double RssMb() => StatusKb("VmRSS:") / 1024.0;

    private static long StatusKb(string key)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>GFLOP/s of an n×n matmul in <paramref name="dtype"/>.</summary>
    public static double Gemm(ScalarType dtype, int n = 2048, int repeats = 10)
    {
        using var a = randn(n, n).to(dtype);
        using var b = randn(n, n).to(dtype);
        for (int i = 0; i < 2; i++) using (a.matmul(b)) { }
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) using (a.matmul(b)) { }
        return 2.0 * n * n * n * repeats / sw.Elapsed.TotalSeconds / 1e9;
    }

    public static void Roof()
    {
        Console.WriteLine($"Machine: {Machine()}");
        Console.WriteLine("| dtype | 2048² matmul GFLOP/s |");
        Console.WriteLine("|---|---|");
        foreach (var dt in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            Console.WriteLine(FormattableString.Invariant($"| {dt} | {Gemm(dt):0} |"));
    }

    /// <summary>Runs this executable with <paramref name="args"/> and returns its stdout (for per-configuration peak memory).</summary>
    public static string Child(params string[] args)
    {
        var exe = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (exe.EndsWith("dotnet", StringComparison.Ordinal)) psi.ArgumentList.Add(typeof(Harness).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"Child {string.Join(' ', args)} failed ({p.ExitCode}):\n{stdout}\n{stderr}");
        return stdout.Trim();
    }
}
