using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks;

/// <summary>
/// T5's float32 linear layers (77 tokens at T5-XXL's width) through libtorch (MKL <c>sgemm</c>, which packs the weight on
/// every call) and through MKL's packed-weight API (<c>cblas_sgemm_pack</c> once, then <c>cblas_sgemm_compute</c>, as
/// exported by <c>libtorch_cpu.so</c>) and as a 1×1 convolution over a zero-copy NHWC view (libtorch's oneDNN path, whose
/// kernels are chosen by instruction set, not by CPU vendor), against this CPU's fused multiply-add peak as the .NET JIT
/// reaches it. The packed weight is also timed with several weights used in turn (as a forward pass uses them, none still
/// in the cache) and on transparent huge pages, and the fused shapes of Q/K/V (3 × 4096) and of the gate (2 × 10240) show
/// whether one wider GEMM beats its parts. For <c>MKL_CBWR</c> and other MKL settings, set the variable on the command line; <c>DN_MKL_IGNORE_VENDOR=1</c>
/// (Program.cs) applies <see cref="Diffusion.Net.Hosting.MklDispatch.IgnoreCpuVendor"/> first.
/// </summary>
internal static unsafe class LinearKernelBenchmarks
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112, Packed = 151, BMatrix = 162;

    public static void Run(int rounds)
    {
        set_grad_enabled(false);
        Console.WriteLine($"Machine: {Harness.Machine()}; MKL_CBWR={Environment.GetEnvironmentVariable("MKL_CBWR") ?? "(unset)"}");
        // MKL picks its kernels by CPU vendor as well as by instruction set; this is the vendor half of that decision.
        Console.WriteLine($"MKL treats this CPU as Intel: {NativeMethods.mkl_serv_intel_cpu_true() != 0}");
        Console.WriteLine($"FMA peak (Vector256, 12 chains per thread): {FmaPeak(get_num_threads(), wide: false):F1} GFLOP/s");
        if (Avx512F.IsSupported)
            Console.WriteLine($"FMA peak (Vector512, 12 chains per thread): {FmaPeak(get_num_threads(), wide: true):F1} GFLOP/s");
        Console.WriteLine($"Read bandwidth (sum over a 1 GiB tensor): {ReadBandwidth():F1} GB/s");
        Console.WriteLine();
        Console.WriteLine($"| M × N × K | libtorch linear ms (GFLOP/s) | MKL packed weight ms (GFLOP/s) | MKL packed, {CycledWeights} weights in turn ms (GFLOP/s, GB/s of packed weight) | the same on 2 MiB pages ms (GFLOP/s; share on huge pages) | oneDNN 1×1 conv ms (GFLOP/s) | max rel. Δ packed, conv | packed bytes ÷ weight bytes | max rel. Δ, weight packed for M = 1 |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var gen = new Generator(1);
        foreach (var (m, n, k) in new[] { (77, 4096, 4096), (77, 10240, 4096), (77, 4096, 10240), (77, 3 * 4096, 4096), (77, 2 * 10240, 4096) })
        {
            using var scope = NewDisposeScope();
            var x = randn([m, k], generator: gen);
            var w = randn([n, k], generator: gen) * 0.02f;
            nuint size = NativeMethods.cblas_sgemm_pack_get_size(BMatrix, m, n, k);
            var packed = empty([(long)(size / sizeof(float)) + 16], ScalarType.Float32);
            var y = empty([m, n]);
            NativeMethods.cblas_sgemm_pack(RowMajor, BMatrix, Trans, m, n, k, 1f, Data(w), k, Data(packed));
            void Compute() => NativeMethods.cblas_sgemm_compute(RowMajor, NoTrans, Packed, m, n, k, Data(x), k, Data(packed), k, 0f, Data(y), n);
            Compute();
            var reference = nn.functional.linear(x, w);
            double diff = (y - reference).abs().max().item<float>() / reference.abs().max().item<float>();
            // What a prepacked linear layer would cost in memory, and whether one packing serves every token count
            // (MKL's documentation ties the packed buffer to the m it was packed for).
            double sizeRatio = (double)size / ((double)n * k * sizeof(float));
            nuint size1 = NativeMethods.cblas_sgemm_pack_get_size(BMatrix, 1, n, k);
            var packed1 = empty([(long)(size1 / sizeof(float)) + 16], ScalarType.Float32);
            NativeMethods.cblas_sgemm_pack(RowMajor, BMatrix, Trans, 1, n, k, 1f, Data(w), k, Data(packed1));
            var y1 = empty([m, n]);
            NativeMethods.cblas_sgemm_compute(RowMajor, NoTrans, Packed, m, n, k, Data(x), k, Data(packed1), k, 0f, Data(y1), n);
            double diff1 = (y1 - reference).abs().max().item<float>() / reference.abs().max().item<float>();
            // [M, K] seen as one NHWC image of M × 1 pixels with K channels: no copy in, and the [1, N, M, 1] result in
            // channels-last strides is [M, N] in memory.
            var xNhwc = x.view(1, m, 1, k).permute(0, 3, 1, 2);
            var w4 = w.view(n, k, 1, 1); // a 1×1 kernel is channels-last as it stands
            Tensor Conv() => nn.functional.conv2d(xNhwc, w4);
            double convDiff;
            using (var c = Conv()) convDiff = (c.permute(0, 2, 3, 1).reshape(m, n) - reference).abs().max().item<float>() / reference.abs().max().item<float>();
            // A forward pass uses each weight once, with every other layer's weight read in between, so none of it is
            // still in the last-level cache when its turn comes again; one weight called back to back can be.
            // Huge pages are asked for before the packing first touches the buffer: streaming a weight far larger than the
            // cache walks a page table entry every 4 KiB otherwise.
            Tensor[] PackedCopies(bool hugePages) => Enumerable.Range(0, CycledWeights).Select(_ =>
            {
                var p = empty([(long)(size / sizeof(float)) + 16], ScalarType.Float32);
                if (hugePages) AdviseHugePages(p);
                NativeMethods.cblas_sgemm_pack(RowMajor, BMatrix, Trans, m, n, k, 1f, Data(w), k, Data(p));
                return p;
            }).ToArray();
            var cycled = PackedCopies(hugePages: false);
            var huge = PackedCopies(hugePages: true);
            double hugeShare = huge.Average(HugePageShare);
            int turn = 0;
            Action InTurn(Tensor[] weights) => () =>
                NativeMethods.cblas_sgemm_compute(RowMajor, NoTrans, Packed, m, n, k, Data(x), k, Data(weights[turn++ % CycledWeights]), k, 0f, Data(y), n);
            Action computeCycled = InTurn(cycled), computeHuge = InTurn(huge);
            var linear = new List<double>();
            var packedTimes = new List<double>();
            var cycledTimes = new List<double>();
            var hugeTimes = new List<double>();
            var convTimes = new List<double>();
            for (int r = 0; r < rounds; r++)
            {
                linear.Add(Time(() => { using var o = nn.functional.linear(x, w); }));
                packedTimes.Add(Time(Compute));
                cycledTimes.Add(Time(computeCycled, CycledWeights));
                hugeTimes.Add(Time(computeHuge, CycledWeights));
                convTimes.Add(Time(() => { using var o = Conv(); }));
            }
            double gflop = 2.0 * m * n * k / 1e9;
            double a = Median(linear), b = Median(packedTimes), cy = Median(cycledTimes), hu = Median(hugeTimes), cv = Median(convTimes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {m} × {n} × {k} | {a * 1e3:F1} ({gflop / a:F0}) | {b * 1e3:F1} ({gflop / b:F0}) | {cy * 1e3:F1} ({gflop / cy:F0}, {size / cy / 1e9:F1}) | {hu * 1e3:F1} ({gflop / hu:F0}; {hugeShare:P0}) | {cv * 1e3:F1} ({gflop / cv:F0}) | {diff:E1}, {convDiff:E1} | {sizeRatio:F3} | {diff1:E1} |"));
        }
    }

    private static float* Data(Tensor t)
    {
        fixed (byte* p = t.bytes) return (float*)p;
    }

    private const int CycledWeights = 4;
    private const long HugePage = 2L << 20;

    /// <summary>madvise(MADV_HUGEPAGE) over the 2 MiB-aligned part of a tensor's buffer.</summary>
    private static void AdviseHugePages(Tensor t)
    {
        long start = (long)Data(t), end = start + t.numel() * t.element_size();
        long first = (start + HugePage - 1) & ~(HugePage - 1), last = end & ~(HugePage - 1);
        if (last > first && NativeMethods.madvise((nint)first, (nuint)(last - first), 14) != 0) Console.WriteLine($"madvise failed: {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// The part of a tensor's buffer on transparent huge pages, from /proc/self/smaps: the advice splits the mapping, so
    /// the buffer spans several, and only the advised one holds huge pages.
    /// </summary>
    private static double HugePageShare(Tensor t)
    {
        ulong start = (ulong)Data(t), end = start + (ulong)(t.numel() * t.element_size());
        ulong huge = 0;
        ulong overlap = 0;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            if (dash > 0 && line.Length > dash + 1 && Uri.IsHexDigit(line[0]) && line.IndexOf(' ') > dash)
            {
                ulong lo = ulong.Parse(line[..dash], NumberStyles.HexNumber), hi = ulong.Parse(line[(dash + 1)..line.IndexOf(' ')], NumberStyles.HexNumber);
                overlap = Math.Min(end, hi) > Math.Max(start, lo) ? Math.Min(end, hi) - Math.Max(start, lo) : 0;
            }
            else if (overlap > 0 && line.StartsWith("AnonHugePages:", StringComparison.Ordinal))
                huge += Math.Min(overlap, ulong.Parse(line["AnonHugePages:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024);
        }
        return (double)huge / (end - start);
    }

    private static double Time(Action body, int calls = 5)
    {
        for (int i = 0; i < calls; i++) body();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < calls; i++) body();
        return sw.Elapsed.TotalSeconds / calls;
    }

    /// <summary>What the threads read from memory per second: the best of five sums over 1 GiB, far past any cache.</summary>
    private static double ReadBandwidth()
    {
        using var big = ones([256L << 20], ScalarType.Float32);
        double best = double.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            using (var s = big.sum()) s.item<float>();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return (256L << 20) * sizeof(float) / best / 1e9;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s[s.Count / 2];
    }

    private static double FmaPeak(int threads, bool wide)
    {
        if (!Fma.IsSupported) return double.NaN;
        const long Iterations = 100_000_000;
        Func<long, float> chains = wide ? Chains512 : Chains;
        int lanes = wide ? 16 : 8;
        chains(1000);
        double best = 0;
        for (int r = 0; r < 3; r++)
        {
            var sw = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => chains(Iterations));
            best = Math.Max(best, threads * Iterations * 12 * 2 * lanes / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }

    private static float Chains(long iterations)
    {
        var c0 = Vector256.Create(1f); var c1 = c0; var c2 = c0; var c3 = c0; var c4 = c0; var c5 = c0;
        var c6 = c0; var c7 = c0; var c8 = c0; var c9 = c0; var c10 = c0; var c11 = c0;
        var b = Vector256.Create(0.999999f);
        var d = Vector256.Create(1e-7f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Fma.MultiplyAdd(c0, b, d); c1 = Fma.MultiplyAdd(c1, b, d); c2 = Fma.MultiplyAdd(c2, b, d);
            c3 = Fma.MultiplyAdd(c3, b, d); c4 = Fma.MultiplyAdd(c4, b, d); c5 = Fma.MultiplyAdd(c5, b, d);
            c6 = Fma.MultiplyAdd(c6, b, d); c7 = Fma.MultiplyAdd(c7, b, d); c8 = Fma.MultiplyAdd(c8, b, d);
            c9 = Fma.MultiplyAdd(c9, b, d); c10 = Fma.MultiplyAdd(c10, b, d); c11 = Fma.MultiplyAdd(c11, b, d);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).GetElement(0);
    }

    private static float Chains512(long iterations)
    {
        var c0 = Vector512.Create(1f); var c1 = c0; var c2 = c0; var c3 = c0; var c4 = c0; var c5 = c0;
        var c6 = c0; var c7 = c0; var c8 = c0; var c9 = c0; var c10 = c0; var c11 = c0;
        var b = Vector512.Create(0.999999f);
        var d = Vector512.Create(1e-7f);
        for (long i = 0; i < iterations; i++)
        {
            c0 = Avx512F.FusedMultiplyAdd(c0, b, d); c1 = Avx512F.FusedMultiplyAdd(c1, b, d); c2 = Avx512F.FusedMultiplyAdd(c2, b, d);
            c3 = Avx512F.FusedMultiplyAdd(c3, b, d); c4 = Avx512F.FusedMultiplyAdd(c4, b, d); c5 = Avx512F.FusedMultiplyAdd(c5, b, d);
            c6 = Avx512F.FusedMultiplyAdd(c6, b, d); c7 = Avx512F.FusedMultiplyAdd(c7, b, d); c8 = Avx512F.FusedMultiplyAdd(c8, b, d);
            c9 = Avx512F.FusedMultiplyAdd(c9, b, d); c10 = Avx512F.FusedMultiplyAdd(c10, b, d); c11 = Avx512F.FusedMultiplyAdd(c11, b, d);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11).GetElement(0);
    }

    private static class NativeMethods
    {
        private const string Lib = "libtorch_cpu";

        [DllImport(Lib)]
        public static extern int mkl_serv_intel_cpu_true();

        [DllImport("libc", SetLastError = true)]
        public static extern int madvise(nint address, nuint length, int advice);

        [DllImport(Lib)]
        public static extern nuint cblas_sgemm_pack_get_size(int identifier, int m, int n, int k);

        [DllImport(Lib)]
        public static extern void cblas_sgemm_pack(int layout, int identifier, int trans, int m, int n, int k, float alpha, float* src, int ld, float* dest);

        [DllImport(Lib)]
        public static extern void cblas_sgemm_compute(int layout, int transa, int transb, int m, int n, int k, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
    }
}
