using System.Diagnostics;
using System.Globalization;
using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Evaluation;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Samples.Cli;
using Diffusion.Net.Sampling;
using Diffusion.Net.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks;

internal static class MnistBenchmarks
{
    /// <summary>
    /// Analytic forward FLOPs per image of a CS180 UNet (multiply-adds × 2 of every convolution, transposed convolution
    /// and linear layer; normalisations and activations excluded, as a GEMM roof cannot run them).
    /// </summary>
    public static double ForwardFlops(long d, long c = 1, bool conditioned = true, int classes = 10)
    {
        static double Conv(long h, long cin, long cout, long k = 3) => 2.0 * h * h * cin * cout * k * k;
        static double ConvT(long hin, long cin, long cout, long k) => 2.0 * hin * hin * cin * cout * k * k;
        double f = 0;
        f += Conv(28, c, d) + Conv(28, d, d);                       // first_block
        f += Conv(14, d, d) + 2 * Conv(14, d, d);                   // down1: stride-2 conv (14×14 outputs) + ConvBlock
        f += Conv(7, d, 2 * d) + 2 * Conv(7, 2 * d, 2 * d);         // down2
        f += ConvT(1, 2 * d, 2 * d, 7);                             // unflatten
        f += ConvT(7, 4 * d, d, 4) + 2 * Conv(14, d, d);            // up1
        f += ConvT(14, 2 * d, d, 4) + 2 * Conv(28, d, d);           // up2
        f += Conv(28, 2 * d, d) + Conv(28, d, d);                   // last_block
        f += Conv(28, d, c);                                        // out
        if (conditioned) f += 2.0 * (1 * 2 * d + 2 * d * 2 * d + 1 * d + d * d + classes * 2 * d + 2 * d * 2 * d + classes * d + d * d);
        return f;
    }

    public static async Task TrainingThroughputAsync(ProgressDisplay display, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Machine: {Harness.Machine()}");
        var train = await MnistDataset.LoadAsync(MnistSplit.Train);
        double forward = ForwardFlops(64);
        double trainFlops = 3 * forward;
        Console.WriteLine(FormattableString.Invariant($"Analytic FLOPs per image (D=64): forward {forward / 1e6:0.0} MFLOP, training step ≈ 3× = {trainFlops / 1e6:0.0} MFLOP"));
        Console.WriteLine("| layout | precision | images/s | achieved GFLOP/s | GEMM roof GFLOP/s | share of roof | loss after 60 steps |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var rates = new Dictionary<(bool, TrainingPrecision), double>();
        using var configurations = display.Begin("mnist-train: layouts × precisions", 4, "runs");
        foreach (bool channelsLast in new[] { false, true })
            foreach (var precision in new[] { TrainingPrecision.Float32, TrainingPrecision.BFloat16 })
            {
                var dt = precision == TrainingPrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
                // The machine is a shared VM whose speed drifts over minutes: the roof is measured right before each
                // run, as the best of three, so a slow spell does not pass for a low roof.
                double roof = Enumerable.Range(0, 3).Max(_ => Harness.Gemm(dt));
                var windows = new List<(double Rate, double Loss)>();
                using (var training = display.Training($"{(channelsLast ? "NHWC" : "NCHW")} {precision}"))
                    TrainCs180Steps(train, precision, channelsLast, steps: 60, progressEvery: 10, new SyncProgress(p => windows.Add((p.ImagesPerSecond, p.Loss)), training), cancellationToken);
                // The first window holds warm-up (allocator, oneDNN primitive creation): drop it, take the median of the rest.
                var steady = windows.Skip(1).Select(w => w.Rate).Order().ToList();
                double rate = steady[steady.Count / 2];
                rates[(channelsLast, precision)] = rate;
                double achieved = rate * trainFlops / 1e9;
                Console.WriteLine(FormattableString.Invariant($"| {(channelsLast ? "NHWC" : "NCHW")} | {precision} | {rate:0} | {achieved:0} | {roof:0} | {achieved / roof:P0} | {windows[^1].Loss:0.0000} |"));
                configurations.Advance();
            }
        configurations.Complete();
        foreach (bool channelsLast in new[] { false, true })
            Console.WriteLine(FormattableString.Invariant($"{(channelsLast ? "NHWC" : "NCHW")}: bf16 / fp32 throughput {rates[(channelsLast, TrainingPrecision.BFloat16)] / rates[(channelsLast, TrainingPrecision.Float32)]:0.00}×"));
        foreach (var precision in new[] { TrainingPrecision.Float32, TrainingPrecision.BFloat16 })
            Console.WriteLine(FormattableString.Invariant($"{precision}: NHWC / NCHW throughput {rates[(true, precision)] / rates[(false, precision)]:0.00}×"));
    }

    /// <summary>
    /// Training throughput of the same network under both objectives, alternating within each round so that the VM's
    /// drift hits both alike: the quick recipe (D = 32, batch 128, bfloat16) trained by ε-prediction and by flow matching,
    /// <paramref name="steps"/> steps per run, median of the steady windows per run, median over the rounds.
    /// </summary>
    public static async Task ObjectiveThroughputAsync(int rounds, int steps, ProgressDisplay display, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Machine: {Harness.Machine()}");
        var train = await MnistDataset.LoadAsync(MnistSplit.Train);
        var rates = new Dictionary<string, List<double>> { ["ddpm"] = [], ["flow"] = [] };
        using var runs = display.Begin("mnist-train-objectives", rounds * 2, "runs");
        for (int round = 0; round < rounds; round++)
            foreach (var (name, recipe) in new[] { ("ddpm", MnistRecipes.Quick), ("flow", MnistRecipes.QuickFlow) })
            {
                var r = recipe with { Training = recipe.Training with { Epochs = 1, ItemsPerEpoch = 128 * steps, ProgressEvery = 10, Seed = 1 } };
                using var model = MnistTraining.CreateModel(r);
                var windows = new List<double>();
                using (var training = display.Training($"round {round + 1} {name}"))
                    MnistTraining.CreateTrainer(r, model).Train(train, new SyncProgress(p => windows.Add(p.ImagesPerSecond), training), cancellationToken);
                var steady = windows.Skip(1).Order().ToList();
                rates[name].Add(steady[steady.Count / 2]);
                Console.WriteLine(FormattableString.Invariant($"  round {round + 1} {name}: {steady[steady.Count / 2]:0} images/s"));
                runs.Advance();
            }
        runs.Complete();
        static double Median(List<double> v) { var o = v.Order().ToArray(); return o.Length % 2 == 1 ? o[o.Length / 2] : (o[o.Length / 2 - 1] + o[o.Length / 2]) / 2; }
        Console.WriteLine("| objective | images/s (median of rounds) | per round |");
        Console.WriteLine("|---|---|---|");
        foreach (var (name, v) in rates)
            Console.WriteLine(FormattableString.Invariant($"| {name} | {Median(v):0} | {string.Join(", ", v.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))} |"));
        Console.WriteLine(FormattableString.Invariant($"flow / ddpm: {Median(rates["flow"]) / Median(rates["ddpm"]):0.000}×"));
    }

    /// <summary>
    /// A few training steps of the CS180 class-conditioned UNet (D = 64, batch 128) in one layout and precision, for a
    /// per-primitive profile: run with ONEDNN_VERBOSE=1 and feed the log to tools/onednn_profile.py.
    /// </summary>
    public static async Task TrainingStepsAsync(string layout, string precision, int steps)
    {
        bool channelsLast = layout switch { "nhwc" => true, "nchw" => false, _ => throw new ArgumentException($"Unknown layout '{layout}' (nchw or nhwc).", nameof(layout)) };
        var p = precision switch { "fp32" => TrainingPrecision.Float32, "bf16" => TrainingPrecision.BFloat16, _ => throw new ArgumentException($"Unknown precision '{precision}' (fp32 or bf16).", nameof(precision)) };
        var train = await MnistDataset.LoadAsync(MnistSplit.Train);
        var result = TrainCs180Steps(train, p, channelsLast, steps, progressEvery: steps, progress: null, CancellationToken.None);
        Console.Error.WriteLine(FormattableString.Invariant($"{layout} {precision}: {steps} steps, {result.Elapsed.TotalMilliseconds / steps:0} ms per step including warm-up"));
    }

    /// <summary>Trains a fresh CS180 class-conditioned UNet (D = 64, batch 128, seed 1) for <paramref name="steps"/> steps.</summary>
    private static TrainingResult TrainCs180Steps(MnistDataset train, TrainingPrecision precision, bool channelsLast, int steps, int progressEvery, IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        var recipe = MnistRecipes.ClassConditioned with { Training = MnistRecipes.ClassConditioned.Training with { Epochs = 1, ItemsPerEpoch = 128 * steps, Precision = precision, ProgressEvery = progressEvery, Seed = 1 } };
        using var model = MnistTraining.CreateModel(recipe);
        model.ChannelsLast = channelsLast;
        return MnistTraining.CreateTrainer(recipe, model).Train(train, progress, cancellationToken);
    }

    public static async Task MemoryFlatnessAsync(int unetSteps, string samplerName, ProgressDisplay display, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Machine: {Harness.Machine()}");
        await Task.CompletedTask;
        random.manual_seed(0);
        using var model = new ClassConditionalUNet(hidden: 32);
        model.eval();
        var digits = MnistSampling.EachDigit(1);
        var sampler = MnistSampler.Parse(samplerName);
        var pipeline = MnistSampling.ClassConditioned(model, digits, sampler: sampler);
        int perRun = pipeline.TotalModelCalls;
        int runs = (unetSteps + perRun - 1) / perRun;
        using (pipeline.Run(seed: 0)) { }
        GC.Collect();
        double start = Harness.RssMb();
        var sw = Stopwatch.StartNew();
        int every = Math.Max(1, 1500 / perRun);
        double? warm = null;
        using var phase = display.Begin("mnist-memory: UNet steps", runs * perRun, "UNet steps", initial: perRun);
        for (int r = 1; r < runs; r++)
        {
            using (pipeline.Run(seed: r, cancellationToken)) { }
            phase.Report((r + 1) * perRun);
            if (r % every != 0) continue;
            double rss = Harness.RssMb();
            // A short run (10 steps) warms the allocator far less than one 300-step DDPM run: the first report point
            // (≥ 1,500 UNet steps) is the baseline that compares like with like.
            warm ??= rss;
            Console.WriteLine(FormattableString.Invariant($"  after {(r + 1) * perRun} UNet steps: RSS {rss:0} MB"));
        }
        phase.Complete();
        GC.Collect();
        double end = Harness.RssMb();
        Console.WriteLine(FormattableString.Invariant($"{sampler.Name} ({sampler.Sampler}): {runs * perRun} UNet steps in {runs} runs (CFG batch 20, D=32) in {sw.Elapsed.TotalSeconds:0} s: RSS {start:0} MB after the first run → {end:0} MB at the end ({(end - start) / start:P1} growth)"));
        if (warm is { } w) Console.WriteLine(FormattableString.Invariant($"  from the first report point ({every * perRun + perRun} UNet steps, {w:0} MB) to the end: {(end - w) / w:P1}"));
    }

    /// <summary>
    /// Sampling quality against model evaluations: every sampler row on one trained class-conditioned UNet (γ = 5 at every
    /// step, bf16 network on a float32 state, x̂_0 clamped to [0, 1]), N digits per sampling seed, the shipped evaluator;
    /// then the time per 100 digits, all rows alternating in rounds so that the ratio to DDPM-300 comes from the same minutes.
    /// </summary>
    public static async Task SamplerRowsAsync(string modelPath, int hidden, int samples, int seeds, int rounds, IReadOnlyList<string> rows, ProgressDisplay display,
        CancellationToken cancellationToken)
    {
        Console.WriteLine($"Machine: {Harness.Machine()}");
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        var evaluator = MnistEvaluator.LoadShipped(test);
        // The file says whether it is a DDPM or a flow model; rows are read as that objective's sampler names.
        MnistObjective objective;
        using (var file = SafetensorsFile.Open(modelPath)) objective = MnistTraining.ReadObjective(file.Metadata) ?? MnistObjective.Ddpm;
        var recipe = (objective == MnistObjective.Flow ? MnistRecipes.QuickFlow : MnistRecipes.Quick) with { Hidden = hidden };
        using var model = (ClassConditionalUNet)MnistTraining.Load(recipe, modelPath);
        model.to(ScalarType.BFloat16);
        // A row is NAME, NAME@γ (another guidance scale than 5), and either with :time for timed only (its quality
        // measured in an earlier run of the same model and seeds).
        var parsed = rows.Select(r =>
        {
            bool timeOnly = r.EndsWith(":time", StringComparison.Ordinal);
            var spec = timeOnly ? r[..^":time".Length] : r;
            // ~A-B limits γ to the model timesteps A…B (IntervalGuidance), the conditional prediction elsewhere.
            int tilde = spec.IndexOf('~', StringComparison.Ordinal);
            (double Min, double Max)? interval = null;
            var head = spec;
            if (tilde >= 0)
            {
                var bounds = spec[(tilde + 1)..].Split('-');
                if (bounds.Length != 2) throw new ArgumentException($"Row '{r}': the guidance interval must read ~MIN-MAX in model timesteps.", nameof(rows));
                interval = (double.Parse(bounds[0], CultureInfo.InvariantCulture), double.Parse(bounds[1], CultureInfo.InvariantCulture));
                head = spec[..tilde];
            }
            int at = head.IndexOf('@', StringComparison.Ordinal);
            double gamma = at < 0 ? 5 : double.Parse(head[(at + 1)..], CultureInfo.InvariantCulture);
            var sampler = MnistSampler.Parse(at < 0 ? head : head[..at], objective);
            return (Label: spec, Sampler: sampler, Gamma: gamma, Interval: interval, TimeOnly: timeOnly);
        }).ToList();
        var requested = MnistSampling.EachDigit(samples / 10);
        double realGrey;
        using (var realImages = test.Images(arange(test.Count, dtype: ScalarType.Int64))) realGrey = GreyShare(realImages);
        Console.WriteLine($"Model {modelPath} ({objective}, D = {hidden}); {samples} samples per row and seed ({samples / 10} per digit), sampling seeds s·10000 + 1000 + batch start for s = 0…{seeds - 1}, evaluator seed 0; CFG γ = 5 at every step unless the row says @γ");
        Console.WriteLine(FormattableString.Invariant($"Grey share (pixels in (0.1, 0.5)) of the 10,000 test digits: {realGrey:P1}"));
        Console.WriteLine("| sampler | model evaluations per digit per branch | class agreement per seed | feature distance per seed | real digits | ratio mean ± sd | grey share (mean) |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var measured = parsed.Where(r => !r.TimeOnly).ToList();
        using var quality = display.Begin("mnist-samplers: quality", measured.Count * seeds * requested.Length, "digits");
        foreach (var row in measured)
        {
            var qualities = new List<MnistQuality>();
            var grey = new List<double>();
            for (int s = 0; s < seeds; s++)
            {
                using var all = SampleInBatches(requested, s * 10000 + 1000, ScalarType.Float32, chunk => MnistSampling.ClassConditioned(model, chunk, row.Gamma, guidanceInterval: row.Interval, sampler: row.Sampler),
                    quality, $"{row.Label}, seed {s}", cancellationToken);
                qualities.Add(evaluator.Evaluate(all, requested, seed: 0));
                grey.Add(GreyShare(all));
            }
            int calls = row.Sampler.ModelCalls(model.Process);
            var ratios = qualities.Select(q => q.FrechetRatio).ToArray();
            double mean = ratios.Average(), sd = Math.Sqrt(ratios.Sum(r => (r - mean) * (r - mean)) / Math.Max(1, ratios.Length - 1));
            Console.WriteLine(FormattableString.Invariant(
                $"| {row.Label} | {calls} | {string.Join(", ", qualities.Select(q => q.ClassAgreement.ToString("P1", CultureInfo.InvariantCulture)))} | {string.Join(", ", qualities.Select(q => q.FrechetDistance.ToString("0.0", CultureInfo.InvariantCulture)))} | {qualities[0].RealFrechetDistance:0.0} | {mean:0.00} ± {sd:0.00} | {grey.Average():P1} |"));
        }
        quality.Complete();
        var samplers = parsed.GroupBy(r => r.Sampler.Name).Select(g => g.First().Sampler).ToList();
        if (rounds < 1) return;
        Console.WriteLine();
        Console.WriteLine($"Seconds per 100 digits, {rounds} rounds, rows alternating within each round (median; ratio = DDPM-300's median of the same rounds / the row's):");
        var digits = MnistSampling.EachDigit(10);
        var times = samplers.ToDictionary(s => s.Name, _ => new List<double>());
        // Advanced once per timed run, never per step: the timed loop itself reports nothing.
        using var timing = display.Begin("mnist-samplers: timing", rounds * samplers.Count, "runs");
        for (int round = 0; round < rounds; round++)
        {
            foreach (var sampler in samplers)
            {
                var sw = Stopwatch.StartNew();
                using (MnistSampling.ClassConditioned(model, digits, sampler: sampler).Run(new DiffusionRunOptions { Seed = round, DType = ScalarType.Float32 }, null, cancellationToken)) { }
                times[sampler.Name].Add(sw.Elapsed.TotalSeconds);
                timing.Advance(detail: $"round {round + 1}, {sampler.Name}");
            }
        }
        timing.Complete();
        static double Median(List<double> v) { var o = v.Order().ToArray(); return o.Length % 2 == 1 ? o[o.Length / 2] : (o[o.Length / 2 - 1] + o[o.Length / 2]) / 2; }
        double reference = times.TryGetValue("ddpm", out var d) ? Median(d) : double.NaN;
        Console.WriteLine("| sampler | seconds per 100 digits (median) | per round | speed-up over DDPM-300 |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var sampler in samplers)
        {
            var t = times[sampler.Name];
            Console.WriteLine(FormattableString.Invariant($"| {sampler.Name} | {Median(t):0.00} | {string.Join(", ", t.Select(x => x.ToString("0.00", CultureInfo.InvariantCulture)))} | {reference / Median(t):0.0}× |"));
        }
    }

    /// <summary>
    /// Quality of Algorithm B.4 samples from one trained class-conditioned UNet under sampling variants (precision of the
    /// network and of the state, variance, guidance scale), each with the same seeds and the same evaluator.
    /// </summary>
    public static async Task SamplingQualityAsync(string modelPath, int hidden, int samples, ProgressDisplay display, CancellationToken cancellationToken)
    {
        Console.WriteLine($"Machine: {Harness.Machine()}");
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        var evaluator = MnistEvaluator.LoadShipped(test);
        var model = (ClassConditionalUNet)MnistTraining.Load(MnistRecipes.Quick with { Hidden = hidden }, modelPath);
        var variants = new (string Name, ScalarType Network, ScalarType State, DdpmVariance Variance, double Gamma)[]
        {
            ("bf16 network, bf16 state, β_t (B.4)", ScalarType.BFloat16, ScalarType.BFloat16, DdpmVariance.FixedLarge, 5),
            ("bf16 network, fp32 state, β_t (B.4)", ScalarType.BFloat16, ScalarType.Float32, DdpmVariance.FixedLarge, 5),
            ("fp32 network, fp32 state, β_t (B.4)", ScalarType.Float32, ScalarType.Float32, DdpmVariance.FixedLarge, 5),
            ("bf16 network, fp32 state, β̃_t", ScalarType.BFloat16, ScalarType.Float32, DdpmVariance.FixedSmall, 5),
            ("bf16 network, fp32 state, β_t, γ = 3", ScalarType.BFloat16, ScalarType.Float32, DdpmVariance.FixedLarge, 3),
            ("bf16 network, fp32 state, β_t, γ = 2", ScalarType.BFloat16, ScalarType.Float32, DdpmVariance.FixedLarge, 2),
            ("bf16 network, fp32 state, β_t, γ = 1 (no guidance)", ScalarType.BFloat16, ScalarType.Float32, DdpmVariance.FixedLarge, 1),
        };
        Console.WriteLine($"{samples} samples per variant ({samples / 10} per digit), seeds 1000 + batch start, evaluator seed 0");
        Console.WriteLine("| variant | class agreement | mean confidence | feature distance | real digits | ratio | seconds |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        var requested = MnistSampling.EachDigit(samples / 10);
        using var phase = display.Begin("mnist-quality", variants.Length * requested.Length, "digits");
        foreach (var v in variants)
        {
            model.to(v.Network);
            var sw = Stopwatch.StartNew();
            using var all = SampleInBatches(requested, 1000, v.State, chunk => MnistSampling.ClassConditioned(model, chunk, v.Gamma)
                .WithSampler(new DdpmSampler(new DdpmSamplerOptions { Variance = v.Variance, DataRange = (0, 1) })), phase, v.Name, cancellationToken);
            var q = evaluator.Evaluate(all, requested, seed: 0);
            Console.WriteLine(FormattableString.Invariant(
                $"| {v.Name} | {q.ClassAgreement:P1} | {q.MeanConfidence:P1} | {q.FrechetDistance:0.0} | {q.RealFrechetDistance:0.0} | {q.FrechetRatio:0.00} | {sw.Elapsed.TotalSeconds:0} |"));
        }
        phase.Complete();
    }

    /// <summary>
    /// The main job's sampling (B.4, γ = 5, bf16 network on a float32 state) of several trained class-conditioned UNets,
    /// each at several sampling seeds, so a difference between models can be told from the evaluation's own spread.
    /// </summary>
    /// <param name="hidden">D of every model.</param>
    /// <param name="samples">Samples per model and seed.</param>
    /// <param name="seeds">Sampling seeds per model.</param>
    /// <param name="limited">γ = 5 only inside <see cref="MnistSampling.LimitedGuidanceInterval"/>.</param>
    /// <param name="thresholdRatio">x̂_0 dynamically thresholded at this quantile (s ≤ 2) before the [0, 1] clamp; null for the clamp only.</param>
    /// <param name="modelPaths">The checkpoints.</param>
    /// <param name="display">Where the progress goes.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    public static async Task CompareModelsAsync(int hidden, int samples, int seeds, bool limited, double? thresholdRatio, IReadOnlyList<string> modelPaths,
        ProgressDisplay display, CancellationToken cancellationToken)
    {
        (double Min, double Max)? interval = limited ? MnistSampling.LimitedGuidanceInterval : null;
        // The main job's DDPM step, with thresholding added on request.
        var sampler = thresholdRatio is { } ratio
            ? new DdpmSampler(MnistSampling.Sampler().Options with { Thresholding = true, ThresholdingRatio = ratio, SampleMaxValue = 2.0 })
            : MnistSampling.Sampler();
        Console.WriteLine($"Machine: {Harness.Machine()}");
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        var evaluator = MnistEvaluator.LoadShipped(test);
        var requested = MnistSampling.EachDigit(samples / 10);
        Console.WriteLine($"{samples} samples per run ({samples / 10} per digit), sampling seeds s·10000 + 1000 + batch start for s = 0…{seeds - 1}, evaluator seed 0");
        Console.WriteLine(interval is { } i ? $"Guidance: CFG 5 only for t in [{i.Min}, {i.Max}], conditional elsewhere" : "Guidance: Algorithm B.4, CFG 5 at every step");
        Console.WriteLine(thresholdRatio is { } q
            ? FormattableString.Invariant($"x̂_0: dynamic thresholding (quantile {q} of |x̂_0|, s in [1, 2]), then clamped to [0, 1]")
            : "x̂_0: clamped to [0, 1]");
        // Ink share (pixels > 0.5): how bold the strokes are, the visible face of guidance's lost variety.
        // Grey share (pixels in (0.1, 0.5)): stroke edges plus background speckle, which the classifier's features barely see.
        double realInk, realGrey;
        using (var realImages = test.Images(arange(test.Count, dtype: ScalarType.Int64))) (realInk, realGrey) = (InkShare(realImages), GreyShare(realImages));
        Console.WriteLine(FormattableString.Invariant($"Ink share (pixels > 0.5) of the 10,000 test digits: {realInk:P1}; grey share (pixels in (0.1, 0.5)): {realGrey:P1}"));
        Console.WriteLine("| model | class agreement (mean) | ink share (mean) | grey share (mean) | feature distance per seed | real digits | ratio mean ± sd |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        using var phase = display.Begin("mnist-compare", modelPaths.Count * seeds * requested.Length, "digits");
        foreach (var path in modelPaths)
        {
            using var model = (ClassConditionalUNet)MnistTraining.Load(MnistRecipes.Quick with { Hidden = hidden }, path);
            model.to(ScalarType.BFloat16);
            var qualities = new List<MnistQuality>();
            var ink = new List<double>();
            var grey = new List<double>();
            for (int s = 0; s < seeds; s++)
            {
                using var all = SampleInBatches(requested, s * 10000 + 1000, ScalarType.Float32, chunk => MnistSampling.ClassConditioned(model, chunk, guidanceInterval: interval).WithSampler(sampler),
                    phase, $"{path}, seed {s}", cancellationToken);
                qualities.Add(evaluator.Evaluate(all, requested, seed: 0));
                ink.Add(InkShare(all));
                grey.Add(GreyShare(all));
            }
            var ratios = qualities.Select(q => q.FrechetRatio).ToArray();
            double mean = ratios.Average(), sd = Math.Sqrt(ratios.Sum(r => (r - mean) * (r - mean)) / Math.Max(1, ratios.Length - 1));
            Console.WriteLine(FormattableString.Invariant(
                $"| {path} | {qualities.Average(q => q.ClassAgreement):P1} | {ink.Average():P1} | {grey.Average():P1} | {string.Join(", ", qualities.Select(q => q.FrechetDistance.ToString("0.0", CultureInfo.InvariantCulture)))} | {qualities[0].RealFrechetDistance:0.0} | {mean:0.00} ± {sd:0.00} |"));
        }
        phase.Complete();
    }

    private static double InkShare(Tensor images)
    {
        using var scope = NewDisposeScope();
        return images.gt(0.5).to(ScalarType.Float64).mean().item<double>();
    }

    private static double GreyShare(Tensor images)
    {
        using var scope = NewDisposeScope();
        return images.gt(0.1).logical_and(images.lt(0.5)).to(ScalarType.Float64).mean().item<double>();
    }

    /// <summary>
    /// Samples <paramref name="requested"/> digits in batches of 100 (seed = <paramref name="seedBase"/> + batch start), clamped
    /// to [0, 1]; <paramref name="phase"/> moves by one unit per digit (part of a larger count: it starts where it stands).
    /// </summary>
    private static Tensor SampleInBatches(int[] requested, long seedBase, ScalarType state, Func<int[], DiffusionPipeline> pipeline, ProgressPhase phase, string detail,
        CancellationToken cancellationToken)
    {
        var batches = new List<Tensor>();
        double offset = phase.Done;
        for (int start = 0; start < requested.Length; start += 100)
        {
            var chunk = requested.Skip(start).Take(100).ToArray();
            phase.Report(offset + start, detail);
            using var r = pipeline(chunk).Run(new DiffusionRunOptions { Seed = seedBase + start, DType = state }, SamplingProgressReporter.Into(phase, offset + start, chunk.Length), cancellationToken);
            batches.Add(MnistSampling.Threshold(r.Sample.to(ScalarType.Float32)));
        }
        phase.Report(offset + requested.Length);
        var all = cat(batches, 0);
        foreach (var b in batches) b.Dispose();
        return all;
    }

    public static void ReferenceIo(string folder, string? modelPath)
    {
        Directory.CreateDirectory(folder);
        random.manual_seed(7);
        var model = modelPath is null ? new ClassConditionalUNet(hidden: 32) : (ClassConditionalUNet)MnistTraining.Load(MnistRecipes.Quick, modelPath);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var g = new Generator(11, CPU);
        var x = randn([6, 1, 28, 28], generator: g);
        var c = tensor(new long[] { 0, 3, 7, 9, -1, -1 });
        var t = tensor(new float[] { 1 / 300f, 0.1f, 0.5f, 0.9f, 1f, 0.33f });
        var output = model.forward(x, c, t);
        ModuleWeights.Save(model, Path.Combine(folder, "model.safetensors"));
        SafetensorsWriter.Save(Path.Combine(folder, "io.safetensors"), new Dictionary<string, Tensor> { ["x"] = x, ["c"] = c, ["t"] = t, ["out"] = output });
        Console.WriteLine(FormattableString.Invariant($"Wrote {folder}: output range [{output.min().item<float>():0.000}, {output.max().item<float>():0.000}]"));
    }

    /// <summary>Collects each report synchronously (a <see cref="Progress{T}"/> would post it to the thread pool, late) and passes it on.</summary>
    private sealed class SyncProgress(Action<TrainingProgress> report, IProgress<TrainingProgress>? next = null) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            report(value);
            next?.Report(value);
        }
    }
}
