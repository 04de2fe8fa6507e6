using System.Diagnostics;
using System.Globalization;

using static Diffusion.Net.Benchmarks.Peers.PeerTools;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// Row 4's training half: training images/s of the CS180 class-conditioned UNet, ours (the library's trainer) against
/// PyTorch (<c>benchmarks/peers/train.py</c>), float32 and bfloat16, each side in a fresh child process, alternating
/// ours → PyTorch → ours bfloat16 → PyTorch bfloat16 in every round. In the first round of each thread count every child
/// also trains CHECK steps from the same weights on the same batch, and the losses and weights are compared with ours in
/// float32 before any time counts.
/// </summary>
internal static class TrainingRun
{
    private sealed record Side(string Name, string DType, int Warmup, int Steps);

    /// <summary>Steps each child trains before its output is compared (three Adam steps move every weight a few lr).</summary>
    private const int CheckSteps = 3;

    // Debian's PyTorch 1.13 trains this network several times slower than ours, so it gets fewer timed steps: each
    // child's timed part stays within about a minute at one thread on a quiet machine.
    private static readonly Side[] Sides =
    [
        new("ours", "float32", 2, 6),
        new("pytorch", "float32", 1, 2),
        new("ours", "bfloat16", 2, 6),
        new("pytorch", "bfloat16", 1, 2),
    ];

    /// <summary>
    /// Largest relative difference of a loss, and of a weight update, that still counts as equal. bfloat16's weight bound
    /// only says "closer to ours than an unrelated update of the same size" (that one would be at √2): Adam divides each
    /// gradient by its own size, so bfloat16's rounding of the small gradients shows up in full in their updates.
    /// </summary>
    private static (double Loss, double Weight) Tolerance(string dtype) => dtype == "float32" ? (1e-3, 1e-2) : (5e-2, 1.0);

    public static int Run(string dir, int rounds, int[] threadCounts)
    {
        int batch = Mnist.Training.MnistRecipes.ClassConditioned.Training.BatchSize;
        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical CPUs ({Cpu()}), {Environment.OSVersion}, .NET {Environment.Version}");
        Console.WriteLine($"Training: CS180 class-conditioned UNet, batch {batch}, Adam lr {Mnist.Training.MnistRecipes.ClassConditioned.Training.LearningRate.ToString(CultureInfo.InvariantCulture)}, ε-prediction MSE on a fixed batch.");
        Console.WriteLine($"Rounds: {rounds}; threads: {string.Join(", ", threadCounts)}; each cell is the median over rounds of each child's images/s (batch · timed steps / their seconds).");
        if (!File.Exists(TrainingChild.BatchPath(dir, batch))) Python(["prepare", dir, Str(batch)], 1);
        bool allEqual = true;
        foreach (int threads in threadCounts)
        {
            var results = Sides.ToDictionary(s => s, _ => new List<ChildResult>());
            string? equality = null;
            foreach (var side in Sides) File.Delete(TrainingChild.OutPath(dir, Who(side), side.DType));
            for (int round = 0; round < rounds; round++)
            {
                int check = round == 0 ? CheckSteps : 0;
                foreach (var side in Sides)
                    results[side].Add(RunChild(side, dir, threads, check, batch));
                if (round == 0)
                {
                    equality = CheckEquality(dir, results, out bool equal);
                    allEqual &= equal;
                }
            }
            Print(threads, batch, results, equality!);
        }
        return allEqual ? 0 : 1;
    }

    private static string Who(Side side) => side.Name == "pytorch" ? "torch" : "ours";

    private static ChildResult RunChild(Side side, string dir, int threads, int check, int batch)
    {
        string[] args = [dir, side.DType, Str(threads), Str(check), Str(side.Warmup), Str(side.Steps), Str(batch)];
        if (side.Name == "pytorch") return ChildResult.Parse(Python(["child", .. args], threads));
        var self = Environment.ProcessPath!;
        var list = new List<string>();
        if (self.EndsWith("dotnet", StringComparison.Ordinal)) list.Add(typeof(TrainingRun).Assembly.Location);
        list.Add("train-child");
        list.AddRange(args);
        return ChildResult.Parse(Start(self, list, threads));
    }

    private static string Python(IEnumerable<string> args, int threads) =>
        Start(Environment.GetEnvironmentVariable("DN_PYTHON") ?? "/usr/bin/python3", [Script("train.py"), .. args], threads);

    private static string Start(string file, IEnumerable<string> args, int threads)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The same thread count for every engine's pools, and no oversubscription from OpenMP's default.
        psi.Environment["OMP_NUM_THREADS"] = Str(threads);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', psi.ArgumentList)} failed ({p.ExitCode}):\n{stdout}\n{stderr.Result}");
        return stdout;
    }

    /// <summary>
    /// Each side's CHECK losses against ours in float32 (relative, per step), and the change of every convolution and
    /// linear weight over those steps: ‖w − w_ours‖ / ‖w_ours − w₀‖, the relative error of the update, taken per tensor
    /// (Adam moves each weight by about lr per step whatever its gradient, so an element-wise ratio would judge the
    /// rounding noise of the smallest gradients). Biases are left out: a convolution's bias before a training-mode
    /// BatchNorm gets a gradient of rounding noise only, which Adam turns into a full-size step of either sign.
    /// </summary>
    private static string CheckEquality(string dir, Dictionary<Side, List<ChildResult>> results, out bool equal)
    {
        equal = true;
        var lines = new List<string>();
        var reference = RawSafetensors.Read(TrainingChild.OutPath(dir, "ours", "float32"));
        var initial = RawSafetensors.Read(Path.Combine(dir, "mnist", "model.safetensors"));
        var refLoss = reference["loss"].Floats();
        lines.Add("ours float32 losses: " + Losses(refLoss));
        foreach (var side in Sides.Skip(1))
        {
            var path = TrainingChild.OutPath(dir, Who(side), side.DType);
            if (results[side][0].Error is not null || !File.Exists(path))
            {
                lines.Add($"{side.Name} {side.DType}: no output (fails: {results[side][0].Error ?? "no file"})");
                continue;
            }
            var other = RawSafetensors.Read(path);
            var loss = other["loss"].Floats();
            double lossErr = refLoss.Length == loss.Length ? refLoss.Zip(loss, (a, b) => Math.Abs(a - b) / Math.Abs(a)).Max() : double.PositiveInfinity;
            double weightErr = 0;
            string worst = "";
            foreach (var (name, r) in reference.Where(kv => kv.Key.EndsWith(".weight", StringComparison.Ordinal) && kv.Value.Shape.Length >= 2))
            {
                var w = r.Floats();
                var o = other[name].Floats();
                var w0 = initial[name].Floats();
                double update = 0, diff = 0;
                for (int i = 0; i < w.Length; i++)
                {
                    update += (w[i] - (double)w0[i]) * (w[i] - (double)w0[i]);
                    diff += (o[i] - (double)w[i]) * (o[i] - (double)w[i]);
                }
                double err = Math.Sqrt(diff / update);
                if (!(err <= weightErr)) (weightErr, worst) = (err, name);
            }
            var (lossTol, weightTol) = Tolerance(side.DType);
            bool ok = lossErr <= lossTol && weightErr <= weightTol;
            equal &= ok;
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{side.Name} {side.DType} vs ours float32 after {refLoss.Length} steps: losses {Losses(loss)} (max rel. Δ {lossErr:0.0e+0}, tolerance {lossTol:0e+0}); weight updates ‖Δ‖/‖update‖ ≤ {weightErr:0.0e+0} (worst {worst}; tolerance {weightTol:0.##}) {(ok ? "equal" : "NOT EQUAL — its times do not count")}"));
        }
        return string.Join("\n", lines);
    }

    private static string Losses(float[] losses) => string.Join(", ", losses.Select(l => l.ToString("0.000000", CultureInfo.InvariantCulture)));

    private static void Print(int threads, int batch, Dictionary<Side, List<ChildResult>> results, string equality)
    {
        Console.WriteLine();
        Console.WriteLine($"### train, batch {batch}, {threads} thread(s)");
        Console.WriteLine(equality);
        Console.WriteLine();
        Console.WriteLine("| side | dtype | images/s (median) | per round | s per step (median) | peak RSS | speed ÷ ours float32 |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        double ours = Median(results[Sides[0]].Select(r => ImagesPerSecond(r, batch)));
        foreach (var side in Sides)
        {
            var r = results[side];
            if (r.Any(x => x.Error is not null))
            {
                Console.WriteLine($"| {side.Name} | {side.DType} | fails: {r.First(x => x.Error is not null).Error} | | | | |");
                continue;
            }
            var rates = r.Select(x => ImagesPerSecond(x, batch)).ToArray();
            double m = Median(rates);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {side.Name} | {side.DType} | {m:0.0} | {string.Join(", ", rates.Select(v => v.ToString("0.0", CultureInfo.InvariantCulture)))} | {Median(r.Select(x => x.MedianS)):0.000} | {r.Max(x => x.PeakRssKb) / 1024.0:0} MB | {m / ours:0.00}× |"));
        }
        Console.Out.Flush();
    }

    private static double ImagesPerSecond(ChildResult r, int batch) => batch * r.Times.Length / r.Times.Sum();
}
