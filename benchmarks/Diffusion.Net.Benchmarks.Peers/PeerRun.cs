using System.Diagnostics;
using System.Globalization;

using static Diffusion.Net.Benchmarks.Peers.PeerTools;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// Runs every side of every row alternately (ours, ONNX Runtime, PyTorch, then again) in fresh child processes, checks
/// the outputs against ours after the first round, and prints one table per row with medians over rounds and the
/// ratios from the same run (this VM drifts by 10–40% over minutes, so only same-run ratios mean anything).
/// </summary>
internal static class PeerRun
{
    private sealed record Side(string Name, string DType, int Reps);

    /// <summary>Our child with <see cref="Diffusion.Net.Hosting.NativeHeap.KeepLargeBuffers"/> called first (the app's opt-in).</summary>
    internal const string OursKeepingBuffers = "ours+heap";

    /// <summary>Set to 1 in a child's environment to make it call <see cref="Diffusion.Net.Hosting.NativeHeap.KeepLargeBuffers"/>.</summary>
    internal const string KeepBuffersVariable = "DN_PEERS_KEEP_LARGE_BUFFERS";

    /// <summary>
    /// Our child with the MKL opt-in and its weights packed after loading: the T5 encoder's linear weights
    /// (<see cref="Diffusion.Net.DeepFloyd.Text.T5EncoderModel.PackLinearWeights"/>), an IF UNet's convolution weights
    /// (<see cref="Diffusion.Net.DeepFloyd.Models.IFUNet.PackConvolutionWeights"/>).
    /// </summary>
    internal const string OursMklPacked = "ours+mkl+packed";

    /// <summary>Set to 1 in a child's environment to pack the T5 encoder's linear weights or an IF UNet's convolution weights.</summary>
    internal const string PackVariable = "DN_PEERS_PACK";

    /// <summary>Our sampling child with <see cref="Diffusion.Net.Pipelines.DiffusionRunOptions.ReleaseFreedMemory"/> off: freed heap pages stay resident between runs.</summary>
    internal const string OursRetaining = "ours+retain";

    /// <summary>Set to 1 in a child's environment to turn the end-of-run release off.</summary>
    internal const string RetainVariable = "DN_PEERS_RETAIN";

    /// <summary>Our MNIST child with <see cref="Diffusion.Net.Mnist.Models.UNetBackbone.InferenceChunk"/> off: the whole batch in one pass.</summary>
    internal const string OursWholeBatch = "ours+whole";

    /// <summary>
    /// Our MNIST child with a fixed <see cref="Diffusion.Net.Mnist.Models.UNetBackbone.InferenceChunk"/>: <c>ours+chunk50</c>
    /// runs 50 images per pass. Not in any row by default; name it in <c>DN_PEERS_SIDES</c> to add it to the MNIST rows.
    /// </summary>
    internal const string OursChunkPrefix = "ours+chunk";

    /// <summary>In a child's environment, the images per pass its MNIST UNet runs (<see cref="OursWholeBatch"/>: int.MaxValue).</summary>
    internal const string ChunkVariable = "DN_PEERS_CHUNK";

    /// <summary>
    /// The suffixes that run a float32 side of ours on another C allocator, preloaded into the process
    /// (<c>LD_PRELOAD</c>, the only way to put one under libtorch): <c>ours+tcmalloc</c>, <c>ours+heap+mkl+jemalloc</c>,
    /// and on the MNIST and sampling rows <c>ours+chunkN+tcmalloc</c> (Debian's <c>libtcmalloc-minimal4</c> and
    /// <c>libjemalloc2</c>). Not in any row by default; name one in <c>DN_PEERS_SIDES</c> to add it. The allocator
    /// changes no arithmetic, so a side's output is compared as the side's it preloads into (ours': not again).
    /// </summary>
    private static readonly IReadOnlyDictionary<string, string> PreloadSuffixes = new Dictionary<string, string>
    {
        ["+jemalloc"] = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
        ["+tcmalloc"] = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4",
    };

    /// <summary>
    /// The suffix that runs a float32 side of ours with glibc's malloc asking the kernel for transparent huge pages
    /// (<c>GLIBC_TUNABLES=glibc.malloc.hugetlb=1</c>: <c>madvise(MADV_HUGEPAGE)</c> on its heaps and on every
    /// <c>mmap</c>ed block): <c>ours+thp</c>, <c>ours+mkl+packed+thp</c>. Read by glibc at process start, so, like a
    /// preload, only the launch can set it. Not in any row by default.
    /// </summary>
    internal const string HugePagesSuffix = "+thp";

    /// <summary>
    /// A side's name without its allocator suffixes (the preload last: <c>ours+thp+tcmalloc</c>), the library a suffix
    /// preloads (null: none), and whether it asks for huge pages.
    /// </summary>
    private static (string Stem, string? Preload, bool HugePages) SplitPreload(string side)
    {
        string? preload = null;
        foreach (var (suffix, library) in PreloadSuffixes)
            if (side.EndsWith(suffix, StringComparison.Ordinal) && side.Length > suffix.Length)
            {
                (side, preload) = (side[..^suffix.Length], library);
                break;
            }
        bool hugePages = side.EndsWith(HugePagesSuffix, StringComparison.Ordinal) && side.Length > HugePagesSuffix.Length;
        return (hugePages ? side[..^HugePagesSuffix.Length] : side, preload, hugePages);
    }

    /// <summary>Whether a side runs under another allocator or allocator setting than ours' default.</summary>
    private static bool HasAllocatorSuffix(string side) => SplitPreload(side) is (_, not null, _) or (_, _, true);

    /// <summary>In a preloaded child's environment: the library it must find mapped, or it fails (a preload that did not happen must not pass for one).</summary>
    internal const string PreloadVariable = "DN_PEERS_PRELOAD";

    /// <summary>In a huge-page child's environment: set, so that the child can check the kernel offers them.</summary>
    internal const string HugePagesVariable = "DN_PEERS_THP";

    /// <summary>
    /// In a child: fails unless the allocator its parent preloaded is mapped into this process, or, for a huge-page child,
    /// unless the kernel hands out transparent huge pages to a region that asks (its mode is <c>always</c> or <c>madvise</c>).
    /// </summary>
    internal static void CheckPreload()
    {
        if (Environment.GetEnvironmentVariable(HugePagesVariable) == "1")
        {
            const string Mode = "/sys/kernel/mm/transparent_hugepage/enabled";
            string mode = File.Exists(Mode) ? File.ReadAllText(Mode) : "";
            if (!mode.Contains("[always]", StringComparison.Ordinal) && !mode.Contains("[madvise]", StringComparison.Ordinal))
                throw new InvalidOperationException($"{Mode} is '{mode.Trim()}': glibc's hugetlb tunable would change nothing");
        }
        if (Environment.GetEnvironmentVariable(PreloadVariable) is not { Length: > 0 } library) return;
        // The maps name the file the soname link points to.
        string real = File.ResolveLinkTarget(library, returnFinalTarget: true)?.FullName ?? library;
        if (!File.ReadLines("/proc/self/maps").Any(l => l.EndsWith(library, StringComparison.Ordinal) || l.EndsWith(real, StringComparison.Ordinal)))
            throw new InvalidOperationException($"{library} was to be preloaded but is not mapped into this process");
    }

    /// <summary>The chunk a side asks for, or null for the library's automatic one.</summary>
    private static int? ChunkOf(string side) => ChunkOfStem(SplitPreload(side).Stem);

    private static int? ChunkOfStem(string side) =>
        side == OursWholeBatch ? int.MaxValue
        : side.StartsWith(OursChunkPrefix, StringComparison.Ordinal) && int.TryParse(side[OursChunkPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
        : null;

    /// <summary>In a child: the chunk its parent asked for, or null.</summary>
    internal static int? RequestedChunk =>
        int.TryParse(Environment.GetEnvironmentVariable(ChunkVariable), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : null;

    /// <summary>The output name of our child: its own file per chunk, since chunks may round differently from the whole batch.</summary>
    internal static string OursOutput() =>
        RequestedChunk is int chunk ? (chunk == int.MaxValue ? WholeBatchOutput : $"ours-chunk{chunk}")
        : Environment.GetEnvironmentVariable(PackVariable) == "1" ? PackedOutput : MklOptedIn ? MklOutput : "ours";

    /// <summary>The output name of <see cref="OursMklPacked"/>: its own file, since MKL's packed kernels may round differently.</summary>
    internal const string PackedOutput = "ours-packed";

    /// <summary>Our child with <see cref="Diffusion.Net.Hosting.MklDispatch.IgnoreCpuVendor"/> called first (the app's opt-in).</summary>
    internal const string OursMklAnyVendor = "ours+mkl";

    /// <summary>Set to 1 in a child's environment to make it call <see cref="Diffusion.Net.Hosting.MklDispatch.IgnoreCpuVendor"/> before anything else.</summary>
    internal const string MklVariable = "DN_PEERS_MKL_IGNORE_VENDOR";

    /// <summary>Both opt-ins of an app on a non-Intel CPU: <see cref="OursKeepingBuffers"/> and <see cref="OursMklAnyVendor"/>.</summary>
    internal const string OursHeapAndMkl = "ours+heap+mkl";

    /// <summary>Its output's name: its own file, since MKL's other kernels round differently.</summary>
    internal const string MklOutput = "ours-mkl";

    /// <summary>Whether this child was asked for <see cref="OursMklAnyVendor"/>.</summary>
    internal static bool MklOptedIn => Environment.GetEnvironmentVariable(MklVariable) == "1";

    /// <summary>In a child of <see cref="OursMklAnyVendor"/>: the opt-in, before any libtorch work; a child that cannot apply it fails.</summary>
    internal static void ApplyMklOptIn()
    {
        if (!MklOptedIn) return;
        var outcome = Diffusion.Net.Hosting.MklDispatch.IgnoreCpuVendor();
        Console.Error.WriteLine($"MklDispatch.IgnoreCpuVendor(): {outcome}");
        if (outcome is not (Diffusion.Net.Hosting.MklDispatchOutcome.Applied or Diffusion.Net.Hosting.MklDispatchOutcome.IntelCpu))
            throw new InvalidOperationException($"{OursMklAnyVendor}: MklDispatch.IgnoreCpuVendor() gave {outcome}");
    }

    /// <summary>Largest |a − b| over max |b| that still counts as the same output.</summary>
    private static double Tolerance(string dtype) => dtype == "float32" ? 1e-3 : 5e-2;

    public static int Run(string dir, int rounds, string[] rows, int[] threadCounts)
    {
        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical CPUs ({Cpu()}), {Environment.OSVersion}, .NET {Environment.Version}");
        Console.WriteLine($"Rounds: {rounds}; threads: {string.Join(", ", threadCounts)}; each cell is the median over rounds of each child's median.");
        bool allEqual = true;
        foreach (var row in rows)
        {
            if (row == "load" || row.StartsWith("load-", StringComparison.Ordinal))
            {
                RunLoad(dir, rounds, row == "load" ? "if1" : row[5..], threadCounts[0]);
                continue;
            }
            var (net, batch, sides) = Row(row);
            // DN_PEERS_SIDES=ours,onnxruntime leaves out a side whose numbers a longer run already has (PyTorch 1.13
            // takes minutes per IF step), and NAME:DTYPE keeps one dtype of a side (pytorch:bfloat16); ours in float32
            // is the equality reference and always runs.
            if (Environment.GetEnvironmentVariable("DN_PEERS_SIDES") is { Length: > 0 } keep)
            {
                var names = keep.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                var all = sides;
                sides = sides.Where(s => (s.Name == "ours" && s.DType == "float32") || names.Contains(s.Name) || names.Contains($"{s.Name}:{s.DType}")).ToArray();
                if (net is "mnist" or "sample")
                    sides = [.. sides, .. names.Where(n => SplitPreload(n).Stem != OursWholeBatch && ChunkOf(n) is not null).Select(n => new Side(n, "float32", sides[0].Reps))];
                // Any float32 side of ours in this row under a preloaded allocator or glibc's huge pages: ours+tcmalloc, ours+heap+mkl+jemalloc, ours+thp, …
                sides = [.. sides, .. names.Where(n => HasAllocatorSuffix(n) && SplitPreload(n).Stem is var stem && ChunkOf(n) is null
                    && all.Any(s => s.Name == stem && s.DType == "float32" && stem.StartsWith("ours", StringComparison.Ordinal)))
                    .Select(n => new Side(n, "float32", all.First(s => s.Name == SplitPreload(n).Stem).Reps))];
            }
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
                Print(row, threads, sides, results, equality!, Flops(dir, net));
            }
        }
        return allEqual ? 0 : 1;
    }

    private static (string Net, int Batch, Side[] Sides) Row(string row) => row switch
    {
        "mnist-100" or "mnist-200" => ("mnist", int.Parse(row[6..], CultureInfo.InvariantCulture),
            [new("ours", "float32", 5), new(OursWholeBatch, "float32", 5), new(OursKeepingBuffers, "float32", 5), new(OursMklAnyVendor, "float32", 5), new(OursHeapAndMkl, "float32", 5), new("onnxruntime", "float32", 5), new("pytorch", "float32", 5), new("ours", "bfloat16", 5), new("pytorch", "bfloat16", 5)]),
        "sample" => ("sample", 100, [new("ours", "float32", 3), new(OursWholeBatch, "float32", 3), new(OursKeepingBuffers, "float32", 3), new(OursMklAnyVendor, "float32", 3), new(OursHeapAndMkl, "float32", 3), new(OursRetaining, "float32", 3), new("onnxruntime", "float32", 3)]),
        "if1" => ("if1", 2, [new("ours", "float32", 3), new(OursKeepingBuffers, "float32", 3), new(OursMklAnyVendor, "float32", 3), new(OursHeapAndMkl, "float32", 3), new(OursMklPacked, "float32", 3), new("onnxruntime", "float32", 3), new("pytorch", "float32", 1), new("ours", "bfloat16", 3), new(OursMklPacked, "bfloat16", 3), new("pytorch", "bfloat16", 1)]),
        "if2" => ("if2", 2, [new("ours", "float32", 2), new(OursKeepingBuffers, "float32", 2), new(OursMklAnyVendor, "float32", 2), new(OursHeapAndMkl, "float32", 2), new(OursMklPacked, "float32", 2), new("onnxruntime", "float32", 2), new("pytorch", "float32", 1)]),
        "t5" => ("t5", 1, [new("ours", "float32", 3), new(OursMklAnyVendor, "float32", 3), new(OursHeapAndMkl, "float32", 3), new(OursMklPacked, "float32", 3), new("onnxruntime", "float32", 3), new("pytorch", "float32", 3), new("ours", "bfloat16", 3), new("pytorch", "bfloat16", 3)]),
        _ => throw new ArgumentException($"unknown row '{row}' (mnist-100, mnist-200, sample, if1, if2, t5, load, load-NET)", nameof(row)),
    };

    private static ChildResult RunChild(Side side, string net, string dir, int threads, int batch)
    {
        if (side.Name == "pytorch")
            return Spawn(true, [Script("peers.py"), "child", TimingChild.NetName(net), dir, side.DType, Str(threads), Str(side.Reps), Str(batch)], threads).Result;
        var who = side.Name.StartsWith("ours", StringComparison.Ordinal) ? "ours" : "ort";
        var (stem, preload, hugePages) = SplitPreload(side.Name);
        bool keepBuffers = stem is OursKeepingBuffers or OursHeapAndMkl, mkl = stem is OursMklAnyVendor or OursHeapAndMkl or OursMklPacked;
        int? chunk = ChunkOf(side.Name);
        if (net == "sample") return Spawn(false, ["sample-child", who, dir, Str(threads), Str(side.Reps)], threads, keepBuffers, chunk, mkl, stem == OursRetaining, preload: preload, hugePages: hugePages).Result;
        return Spawn(false, ["child", who, net, dir, side.DType, Str(threads), Str(side.Reps), Str(batch)], threads, keepBuffers, chunk, mkl, pack: stem == OursMklPacked, preload: preload, hugePages: hugePages).Result;
    }

    /// <summary>Runs one child (this executable, or Python) and parses its JSON line; also the child's whole wall time.</summary>
    private static (ChildResult Result, double WallS) Spawn(bool python, List<string> childArgs, int threads, bool keepBuffers = false, int? chunk = null, bool mkl = false, bool retain = false, bool pack = false, string? preload = null, bool hugePages = false)
    {
        var self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo();
        var args = new List<string>();
        if (python)
        {
            psi.FileName = Environment.GetEnvironmentVariable("DN_PYTHON") ?? "/usr/bin/python3";
        }
        else
        {
            psi.FileName = self;
            if (self.EndsWith("dotnet", StringComparison.Ordinal)) args.Add(typeof(PeerRun).Assembly.Location);
        }
        args.AddRange(childArgs);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        // The same thread count for every engine's pools, and no oversubscription from OpenMP's default.
        psi.Environment["OMP_NUM_THREADS"] = Str(threads);
        if (keepBuffers) psi.Environment[KeepBuffersVariable] = "1";
        if (chunk is int c) psi.Environment[ChunkVariable] = Str(c);
        if (mkl) psi.Environment[MklVariable] = "1";
        if (retain) psi.Environment[RetainVariable] = "1";
        if (pack) psi.Environment[PackVariable] = "1";
        if (preload is not null)
        {
            if (!File.Exists(preload)) throw new FileNotFoundException($"{preload}: the allocator to preload is not installed (apt-get install libjemalloc2 libtcmalloc-minimal4)", preload);
            psi.Environment["LD_PRELOAD"] = preload;
            psi.Environment[PreloadVariable] = preload;
        }
        if (hugePages)
        {
            psi.Environment["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=1";
            psi.Environment[HugePagesVariable] = "1";
        }
        var wall = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        double wallS = wall.Elapsed.TotalSeconds;
        if (p.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', args)} failed ({p.ExitCode}):\n{stdout}\n{stderr.Result}");
        return (ChildResult.Parse(stdout), wallS);
    }

    /// <summary>
    /// The load row: each side loads the network in a fresh process, alternately, for every round. Peak RSS is over the
    /// weight file's bytes (the same tensors on every side: the ONNX graph holds them as initializers).
    /// </summary>
    private static void RunLoad(string dir, int rounds, string net, int threads)
    {
        string[] sides = ["ours", "onnxruntime", "pytorch"];
        var results = sides.ToDictionary(s => s, _ => new List<(ChildResult Result, double WallS)>());
        for (int round = 0; round < rounds; round++)
            foreach (var side in sides)
                results[side].Add(side == "pytorch"
                    ? Spawn(true, [Script("peers.py"), "load-child", TimingChild.NetName(net), dir, Str(threads)], threads)
                    : Spawn(false, ["load-child", side == "ours" ? "ours" : "ort", net, dir, Str(threads)], threads));
        double weightBytes = new FileInfo(TimingChild.WeightsPath(dir, net)).Length;
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"### load {net}, {threads} thread(s); weights {weightBytes / 1e9:0.000} GB"));
        Console.WriteLine("Seconds to ready: from the engine's runtime loaded (libtorch, onnxruntime, `import torch, diffusers`) to a model ready to run. Process: the child's whole wall time, runtime start-up included.");
        Console.WriteLine();
        Console.WriteLine("| side | seconds to ready (median) | per round | process wall (median) | peak RSS | peak RSS ÷ weight bytes |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var side in sides)
        {
            var r = results[side];
            double peak = r.Max(x => x.Result.PeakRssKb) * 1024.0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {side} | {Median(r.Select(x => x.Result.MedianS)):0.000} | {string.Join(", ", r.Select(x => x.Result.MedianS.ToString("0.000", CultureInfo.InvariantCulture)))} | {Median(r.Select(x => x.WallS)):0.00} | {peak / (1 << 20):0} MB | {peak / weightBytes:0.00}× |"));
        }
        Console.Out.Flush();
    }

    private static string CheckEquality(string dir, string net, int batch, Side[] sides, out bool equal)
    {
        equal = true;
        var lines = new List<string>();
        var reference = RawSafetensors.Read(OutFile(dir, net, "ours", "float32", batch))["out"].Floats();
        double scale = reference.Max(Math.Abs);
        // Ours with the heap setting or without the release is the same arithmetic as ours; its output overwrote ours' with the same values.
        // A preloaded side is compared as the side it preloads into: not at all when that is ours itself.
        foreach (var side in sides.Where(s => !(SplitPreload(s.Name).Stem == "ours" && s.DType == "float32") && SplitPreload(s.Name).Stem is not (OursKeepingBuffers or OursRetaining)))
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

    /// <summary>The whole-batch child's output name: its own file, since chunks may round differently from the whole batch.</summary>
    internal const string WholeBatchOutput = "ours-whole";

    private static string OutFile(string dir, string net, string side, string dtype, int batch)
    {
        string who = SplitPreload(side).Stem switch { "onnxruntime" => "ort", "pytorch" => "torch", OursKeepingBuffers or OursRetaining => "ours", _ when ChunkOf(side) is int c => c == int.MaxValue ? WholeBatchOutput : $"ours-chunk{c}", OursMklPacked => PackedOutput, OursMklAnyVendor or OursHeapAndMkl => MklOutput, var stem => stem };
        if (net == "sample") return Path.Combine(dir, "mnist", $"out-sample-{who}.safetensors");
        return TimingChild.OutPath(dir, net, who, dtype, batch);
    }

    /// <summary>The profiler's FLOPs of one forward (<c>peers.py flops</c> writes flops.json beside the model), if counted.</summary>
    private static double? Flops(string dir, string net)
    {
        if (net is "mnist" or "sample") return null;
        var path = Path.Combine(TimingChild.Folder(dir, net), "flops.json");
        if (!File.Exists(path)) return null;
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.GetProperty("total_flops").GetDouble();
    }

    private static void Print(string row, int threads, Side[] sides, Dictionary<Side, List<ChildResult>> results, string equality, double? flops)
    {
        Console.WriteLine();
        Console.WriteLine($"### {row}, {threads} thread(s)");
        Console.WriteLine(equality);
        if (flops is double f)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"One forward: {f / 1e9:0.0} GFLOP (torch.profiler with_flops, float32 graph; flops.json); GFLOP/s = that ÷ median seconds."));
        Console.WriteLine();
        Console.WriteLine("| side | dtype | seconds (median) | per round | peak RSS | time ÷ ours float32 |" + (flops is null ? "" : " GFLOP/s |"));
        Console.WriteLine("|---|---|---|---|---|---|" + (flops is null ? "" : "---|"));
        double ours = Median(results[sides[0]].Select(r => r.MedianS));
        foreach (var side in sides)
        {
            var r = results[side];
            if (r.Any(x => x.Error is not null))
            {
                Console.WriteLine($"| {side.Name} | {side.DType} | fails: {r.First(x => x.Error is not null).Error} | | | |" + (flops is null ? "" : " |"));
                continue;
            }
            double m = Median(r.Select(x => x.MedianS));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {side.Name} | {side.DType} | {m:0.000} | {string.Join(", ", r.Select(x => x.MedianS.ToString("0.000", CultureInfo.InvariantCulture)))} | {r.Max(x => x.PeakRssKb) / 1024.0:0} MB | {m / ours:0.00}× |")
                + (flops is double fl ? string.Create(CultureInfo.InvariantCulture, $" {fl / 1e9 / m:0.0} |") : ""));
        }
        Console.Out.Flush();
    }
}
