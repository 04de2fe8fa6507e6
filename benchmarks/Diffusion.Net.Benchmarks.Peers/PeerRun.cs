using System.Diagnostics;
using System.Globalization;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// Runs every side of every row alternately (ours, ONNX Runtime, PyTorch, then again) in fresh child processes, checks
/// the outputs against ours after the first round, and prints one table per row with medians over rounds and the
/// ratios from the same run (this VM drifts by 10–40% over minutes, so only same-run ratios mean anything).
/// </summary>
internal static class PeerRun
{
    private sealed record Side(string Name, string DType, int Reps);

    /// <summary>Largest |a − b| over max |b| that still counts as the same output.</summary>
    private static double Tolerance(string dtype) => dtype == "float32" ? 1e-3 : 5e-2;

    public static int Run(string dir, int rounds, string[] rows, int[] threadCounts)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical CPUs ({Cpu()}), {Environment.OSVersion}, .NET {Environment.Version}");
        Console.WriteLine($"Rounds: {rounds}; threads: {string.Join(", ", threadCounts)}; each cell is the median over rounds of each child's median.");
        bool allEqual = true;
        foreach (var row in rows)
        {
            var (net, batch, sides) = Row(row);
            foreach (int threads in threadCounts)
            {
                var results = sides.ToDictionary(s => s, _ => new List<ChildResult>());
                string? equality = null;
                // A stale output of an earlier run must not pass for this one's.
                foreach (var side in sides) File.Delete(OutFile(dir, net, side.Name, side.DType, batch));
                for (int round = 0; round < rounds; round++)
                {
                    foreach (var side in sides)
                        results[side].Add(RunChild(side, net, dir, threads, batch));
                    if (round == 0)
                    {
                        equality = CheckEquality(dir, net, batch, sides, out bool equal);
                        allEqual &= equal;
                    }
                }
                Print(row, threads, sides, results, equality!);
            }
        }
        return allEqual ? 0 : 1;
    }

    private static (string Net, int Batch, Side[] Sides) Row(string row) => row switch
    {
        "mnist-100" or "mnist-200" => ("mnist", int.Parse(row[6..], CultureInfo.InvariantCulture),
            [new("ours", "float32", 5), new("onnxruntime", "float32", 5), new("pytorch", "float32", 5), new("ours", "bfloat16", 5), new("pytorch", "bfloat16", 5)]),
        "sample" => ("sample", 100, [new("ours", "float32", 3), new("onnxruntime", "float32", 3)]),
        "if1" => ("if1", 2, [new("ours", "float32", 3), new("onnxruntime", "float32", 3), new("pytorch", "float32", 1), new("ours", "bfloat16", 3), new("pytorch", "bfloat16", 1)]),
        "if2" => ("if2", 2, [new("ours", "float32", 2), new("onnxruntime", "float32", 2), new("pytorch", "float32", 1)]),
        _ => throw new ArgumentException($"unknown row '{row}' (mnist-100, mnist-200, sample, if1, if2)", nameof(row)),
    };

    private static ChildResult RunChild(Side side, string net, string dir, int threads, int batch)
    {
        var self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo();
        var args = new List<string>();
        if (side.Name == "pytorch")
        {
            psi.FileName = Environment.GetEnvironmentVariable("DN_PYTHON") ?? "/usr/bin/python3";
            args.AddRange([PeersScript(), "child", TimingChild.NetName(net), dir, side.DType, Str(threads), Str(side.Reps), Str(batch)]);
        }
        else
        {
            psi.FileName = self;
            if (self.EndsWith("dotnet", StringComparison.Ordinal)) args.Add(typeof(PeerRun).Assembly.Location);
            var who = side.Name == "ours" ? "ours" : "ort";
            if (net == "sample") args.AddRange(["sample-child", who, dir, Str(threads), Str(side.Reps)]);
            else args.AddRange(["child", who, net, dir, side.DType, Str(threads), Str(side.Reps), Str(batch)]);
        }
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        // The same thread count for every engine's pools, and no oversubscription from OpenMP's default.
        psi.Environment["OMP_NUM_THREADS"] = Str(threads);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', args)} failed ({p.ExitCode}):\n{stdout}\n{stderr.Result}");
        return ChildResult.Parse(stdout);
    }

    private static string CheckEquality(string dir, string net, int batch, Side[] sides, out bool equal)
    {
        equal = true;
        var lines = new List<string>();
        var reference = RawSafetensors.Read(OutFile(dir, net, "ours", "float32", batch))["out"].Floats();
        double scale = reference.Max(Math.Abs);
        foreach (var side in sides.Where(s => !(s.Name == "ours" && s.DType == "float32")))
        {
            if (!File.Exists(OutFile(dir, net, side.Name, side.DType, batch)))
            {
                lines.Add($"{side.Name} {side.DType}: no output (the engine failed to run it; see its row)");
                continue;
            }
            var other = RawSafetensors.Read(OutFile(dir, net, side.Name, side.DType, batch))["out"].Floats();
            if (other.Length != reference.Length)
            {
                lines.Add($"{side.Name} {side.DType}: {other.Length} values against {reference.Length}: NOT EQUAL");
                equal = false;
                continue;
            }
            double max = 0;
            for (int i = 0; i < other.Length; i++) max = Math.Max(max, Math.Abs(other[i] - reference[i]));
            bool ok = max <= Tolerance(side.DType) * scale;
            equal &= ok;
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{side.Name} {side.DType} vs ours float32: max |Δ| = {max:0.0e+0} ({max / scale:0.0e+0} of max |out| = {scale:0.000}; tolerance {Tolerance(side.DType):0e+0}) {(ok ? "equal" : "NOT EQUAL — its times do not count")}"));
        }
        return string.Join("\n", lines);
    }

    private static string OutFile(string dir, string net, string side, string dtype, int batch)
    {
        string who = side switch { "onnxruntime" => "ort", "pytorch" => "torch", _ => side };
        if (net == "sample") return Path.Combine(dir, "mnist", $"out-sample-{who}.safetensors");
        return TimingChild.OutPath(dir, net, who, dtype, batch);
    }

    private static void Print(string row, int threads, Side[] sides, Dictionary<Side, List<ChildResult>> results, string equality)
    {
        Console.WriteLine();
        Console.WriteLine($"### {row}, {threads} thread(s)");
        Console.WriteLine(equality);
        Console.WriteLine();
        Console.WriteLine("| side | dtype | seconds (median) | per round | peak RSS | time ÷ ours float32 |");
        Console.WriteLine("|---|---|---|---|---|---|");
        double ours = Median(results[sides[0]].Select(r => r.MedianS));
        foreach (var side in sides)
        {
            var r = results[side];
            if (r.Any(x => x.Error is not null))
            {
                Console.WriteLine($"| {side.Name} | {side.DType} | fails: {r.First(x => x.Error is not null).Error} | | | |");
                continue;
            }
            double m = Median(r.Select(x => x.MedianS));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {side.Name} | {side.DType} | {m:0.000} | {string.Join(", ", r.Select(x => x.MedianS.ToString("0.000", CultureInfo.InvariantCulture)))} | {r.Max(x => x.PeakRssKb) / 1024.0:0} MB | {m / ours:0.00}× |"));
        }
        Console.Out.Flush();
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string Str(int v) => v.ToString(CultureInfo.InvariantCulture);

    private static string PeersScript()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, "benchmarks", "peers", "peers.py");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("benchmarks/peers/peers.py not found above " + AppContext.BaseDirectory);
    }

    private static string Cpu() => File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "unknown"
        : "unknown";
}
