using System.Globalization;
using System.Text;
using Diffusion.Net.IO;
using Diffusion.Net.Imaging;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Evaluation;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.PartA;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Samples.Cli;
using Diffusion.Net.Techniques;
using Diffusion.Net.Training;
using Diffusion.Net.Views;
using static TorchSharp.torch;

namespace Diffusion.Net.Samples.PartA;

/// <summary>Every CS180 Part A figure with the class-conditioned MNIST UNet (digits instead of prompts).</summary>
internal static class MnistSheets
{
    private static readonly ImageGridOptions Grid = new() { Range = PixelRange.ZeroToOne, Scale = 3, Padding = 3 };

    private static async Task<(ClassConditionalUNet Model, MnistDataset Train, MnistDataset Test)> ModelAsync(PartAOptions options, ProgressDisplay display, CancellationToken cancellationToken)
    {
        var train = await MnistDataset.LoadAsync(MnistSplit.Train, log: display.Log, cancellationToken: cancellationToken);
        var test = await MnistDataset.LoadAsync(MnistSplit.Test, cancellationToken: cancellationToken);
        var quick = options.Flow ? MnistRecipes.QuickFlow : MnistRecipes.Quick;
        var path = options.Model ?? Path.Combine("out", "mnist", quick.Name, "checkpoint", DiffusionTrainer.ModelFileName);
        if (!File.Exists(path))
        {
            if (options.Model is not null) throw new FileNotFoundException($"The model '{options.Model}' does not exist.");
            Console.WriteLine($"No trained model at {path}: training the {quick.Name} preset (the main job's model with --objective {(options.Flow ? "flow" : "ddpm")}; about 15 minutes on 2 cores).");
            var recipe = quick.WithCheckpoints(Path.GetDirectoryName(path)!);
            var fresh = MnistTraining.CreateModel(recipe);
            using var progress = display.Training($"training {quick.Name}");
            MnistTraining.CreateTrainer(recipe, fresh).Train(train, progress, cancellationToken);
        }
        // The file says what it predicts: a flow checkpoint is read with the flow recipe whatever --objective says.
        MnistObjective objective;
        using (var file = SafetensorsFile.Open(path))
            objective = MnistTraining.ReadObjective(file.Metadata) ?? MnistObjective.Ddpm;
        var load = objective == MnistObjective.Flow ? MnistRecipes.QuickFlow : MnistRecipes.Quick;
        Console.WriteLine($"Model: {path} ({objective})");
        return ((ClassConditionalUNet)MnistTraining.Load(load, path), train, test);
    }

    /// <summary>The sections of <see cref="RunAsync"/>, one sheet each: the unit of its progress.</summary>
    private const int SheetCount = 8;

    public static async Task<int> RunAsync(PartAOptions options, ProgressDisplay display, CancellationToken cancellationToken)
    {
        var (model, _, test) = await ModelAsync(options, display, cancellationToken);
        var partA = new MnistPartA(model);
        var outDir = Path.Combine(options.Output, "mnist");
        Directory.CreateDirectory(outDir);
        string Out(string name) => Path.Combine(outDir, name);
        long seed = options.Seed;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var sheets = display.Begin("Part A sheets (MNIST)", SheetCount, "sheets");
        void Done(string sheet)
        {
            sheets.Advance(detail: sheet);
            cancellationToken.ThrowIfCancellationRequested();
        }
        var digit = test.Images(0, 1);                                                  // a 7: the "Campanile" of these sheets
        var schedule = partA.Process;
        bool flow = model.Objective == MnistObjective.Flow;
        string Level(double timestep) => flow ? string.Create(CultureInfo.InvariantCulture, $"t={1 - timestep / 1000:0.00}") : string.Create(CultureInfo.InvariantCulture, $"t={timestep:0}");

        // §1.1–1.3: forward process at t = 75, 150, 225 (CS180's 250/500/750 of 1000, scaled to T = 300; on a flow model
        // σ = 0.25, 0.5, 0.75), blur, one step.
        var tiles = new List<Tensor>();
        var labels = new List<string>();
        foreach (int t in flow ? new[] { 250, 500, 750 } : new[] { 75, 150, 225 })
        {
            var noisy = DiffusionPipeline.From(digit).Noise(schedule, t).Run(seed);
            var oneStep = OneStepDenoising.Estimate(model, schedule, noisy, t, Condition.None);
            tiles.AddRange([digit[0], noisy[0], GaussianBlur.Apply(noisy, 5, 1.0)[0], oneStep[0]]);
            labels.AddRange(["original", Level(t), "blur k5 σ1", "one-step"]);
        }
        ImageGrid.Save(Out("1.1-1.3-forward-blur-onestep.png"), Clip(tiles), 4, Grid with { Labels = labels, Title = flow ? "Forward process, Gaussian blur and one-step denoising (flow)" : "Forward process, Gaussian blur and one-step denoising (T=300)" });
        Done("§1.1–1.3");

        // §1.4: iterative denoising from level 10 (DDPM: strided[10] = 190; flow: t = 1/3), every 5th step shown, against one step and blur.
        int start = 10, t0 = (int)partA.TimestepAt(start);
        var x10 = DiffusionPipeline.From(digit).Noise(partA.Levels, start).Run(seed);
        using (var run = partA.Walk(DiffusionPipeline.From(x10), Condition.None, start).CaptureTrajectory(5).Run(new DiffusionRunOptions { Seed = seed }))
        {
            var frames = new List<Tensor> { x10[0] };
            var frameLabels = new List<string> { Level(t0) };
            foreach (var f in run.Trajectory) { frames.Add(f.Sample[0]); frameLabels.Add(Level(f.Timestep)); }
            frames.AddRange([run.Sample[0], OneStepDenoising.Estimate(model, schedule, x10, t0, Condition.None)[0], GaussianBlur.Apply(x10, 5, 1.0)[0]]);
            frameLabels.AddRange(["iterative", "one-step", "blur"]);
            ImageGrid.Save(Out("1.4-iterative.png"), Clip(frames), frames.Count, Grid with { Labels = frameLabels, Title = $"Iterative denoising from i_start={start} ({Level(t0)}), every 5th step" });
            Done("§1.4");
        }

        // §1.5/1.6: samples without guidance (null class), and with CFG toward every digit.
        var unconditional = partA.Sample(null, 5, seed, guided: false);
        ImageGrid.Save(Out("1.5-samples.png"), Clip(unconditional), 5, Grid with { Title = "Samples, null class, no CFG" });
        var digits = Enumerable.Range(0, 10).ToArray();
        using (var run = partA.Walk(DiffusionPipeline.FromNoise(10, 1, 28, 28), Condition.Classes(digits))
                   .WithGuidance(partA.Guidance).CaptureTrajectory(1).Run(new DiffusionRunOptions { Seed = seed }))
        {
            ImageGrid.Save(Out("1.6-samples-cfg.png"), Clip(run.Sample), 10, Grid with { Title = "Samples with CFG γ=5 toward each digit", Labels = digits.Select(d => d.ToString(CultureInfo.InvariantCulture)).ToList() });
            AnimatedGif.Save(Out("1.6-samples-cfg.gif"), run.Trajectory.Select(f => f.Sample.clamp(0f, 1f)).ToList(), 10, Grid with { Scale = 2 });
            Done("§1.5–1.6");
        }

        // §1.7: SDEdit of a test digit, a silhouette ("web image") and a hand drawing, at CS180's start indices.
        var sources = new (string Name, Tensor Image)[] { ("test digit", digit), ("horse silhouette", Silhouette()), ("hand-drawn 4", HandDrawnFour()) };
        var sdeditTiles = new List<Tensor>();
        var sdeditLabels = new List<string>();
        foreach (var (name, image) in sources)
        {
            sdeditTiles.Add(image[0]);
            sdeditLabels.Add(name);
            foreach (var i in MnistPartA.Cs180StartIndices)
            {
                sdeditTiles.Add(partA.Sdedit(image, i, null, seed)[0]);
                sdeditLabels.Add($"i={i} {Level(partA.TimestepAt(i))}");
            }
        }
        ImageGrid.Save(Out("1.7-sdedit.png"), Clip(sdeditTiles), 7, Grid with { Labels = sdeditLabels, Title = "SDEdit (null class) at i_start 1, 3, 5, 7, 10, 20" });
        Done("§1.7");

        // §1.7.2: inpainting the lower half of three digits, guided toward their own class.
        var three = test.Images(0, 3);
        var threeLabels = Enumerable.Range(0, 3).Select(test.Label).ToArray();
        var mask = MnistPartA.LowerHalfMask();
        var filled = partA.Inpainting(three, mask, threeLabels).Run(seed);
        var inpaintTiles = new List<Tensor>();
        for (int i = 0; i < 3; i++) inpaintTiles.AddRange([three[i], mask[0], (three[i] * (1 - mask[0])), filled[i]]);
        ImageGrid.Save(Out("1.7.2-inpainting.png"), Clip(inpaintTiles), 4, Grid with { Labels = Enumerable.Range(0, 3).SelectMany(_ => new[] { "image", "mask", "kept", "result" }).ToList(), Title = "Inpainting the lower half (RePaint), CFG toward the digit" });
        Done("§1.7.2");

        // §1.7.3: conditional image-to-image: the test 7 toward a 3, across start indices.
        var img2img = new List<Tensor> { digit[0] };
        var img2imgLabels = new List<string> { "source 7" };
        foreach (var i in MnistPartA.Cs180StartIndices)
        {
            img2img.Add(partA.Sdedit(digit, i, [3], seed)[0]);
            img2imgLabels.Add($"→3 i={i}");
        }
        ImageGrid.Save(Out("1.7.3-conditional-img2img.png"), Clip(img2img), 7, Grid with { Labels = img2imgLabels, Title = "Conditional image-to-image: 7 toward 3" });
        Done("§1.7.3");

        // §1.8: a rotation anagram (6 upright, 9 rotated 180°) and a flip anagram (2 upright, 5 upside down).
        var rotation = partA.Anagram(6, 9, View.Rotate180, 4, seed);
        var flip = partA.Anagram(2, 5, View.FlipVertical, 4, seed);
        var anagramTiles = new List<Tensor>();
        for (int i = 0; i < 4; i++) anagramTiles.AddRange([rotation[i], View.Rotate180.Apply(rotation[i].unsqueeze(0))[0]]);
        for (int i = 0; i < 4; i++) anagramTiles.AddRange([flip[i], View.FlipVertical.Apply(flip[i].unsqueeze(0))[0]]);
        ImageGrid.Save(Out("1.8-anagrams.png"), Clip(anagramTiles), 8,
            Grid with { Labels = [.. Enumerable.Repeat(new[] { "6", "rotated: 9" }, 4).SelectMany(x => x), .. Enumerable.Repeat(new[] { "2", "flipped: 5" }, 4).SelectMany(x => x)], Title = "Visual anagrams: 6/9 by rotation, 2/5 by vertical flip" });
        Done("§1.8");

        // §1.9: hybrids (Gaussian 33, σ 2), shown with their low- and high-pass readings: 0 far / 7 near, and 0 far / 1 near.
        var hybridTiles = new List<Tensor>();
        foreach (var (far, near) in new[] { (0, 7), (0, 1) })
        {
            var hybrid = partA.Hybrid(far, near, 3, seed);
            for (int i = 0; i < 3; i++)
            {
                var h = hybrid[i].unsqueeze(0).clamp(0f, 1f);
                hybridTiles.AddRange([h[0], GaussianBlur.Apply(h, 33, 2)[0], MnistPartA.HighPassView(h)[0]]);
            }
        }
        ImageGrid.Save(Out("1.9-hybrids.png"), Clip(hybridTiles), 9,
            Grid with { Labels = Enumerable.Range(0, 6).SelectMany(k => new[] { k < 3 ? "0 far / 7 near" : "0 far / 1 near", "far: blur", "near: high-pass" }).ToList(), Title = "Hybrid images" });
        Done("§1.9");

        sheets.Complete();
        Console.WriteLine($"Wrote the Part A sheets (MNIST) to {Path.GetFullPath(outDir)}");
        return 0;
    }

    public static async Task<int> MeasureAsync(PartAOptions options, ProgressDisplay display, CancellationToken cancellationToken)
    {
        var (model, _, test) = await ModelAsync(options, display, cancellationToken);
        var evaluator = MnistEvaluator.LoadShipped(test);
        var partA = new MnistPartA(model);
        var report = MeasureAll(new PartAMeasurements(partA, evaluator, test), options.Samples, options.Seed, display, cancellationToken);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Part A on MNIST: {report.Samples} samples per measurement, seed {options.Seed}, classifier test accuracy {evaluator.TestAccuracy:P2}");
        bool flow = model.Objective == MnistObjective.Flow;
        text.AppendLine(flow ? "  Model: flow matching (30 equal Euler steps in t; i_start i is t = i/30)" : "  Model: DDPM (strided timesteps 290, 280, …, 0)");
        foreach (var l in report.Sdedit) text.AppendLine(CultureInfo.InvariantCulture, $"  SDEdit i_start={l.StartIndex,2} ({(flow ? $"t={1 - l.Timestep / 1000:0.000}" : $"t={l.Timestep,3}")}): mean L2 distance to source {l.MeanDistance:0.00}, source digit kept {l.KeptRate:P0}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  Inpainting (lower half, CFG toward the digit): {report.InpaintingRate:P0} read as the digit");
        text.AppendLine(CultureInfo.InvariantCulture, $"  Conditional img2img (i_start={report.Img2ImgStartIndex}, toward (d+5) mod 10): {report.Img2ImgRate:P0} become the target");
        text.AppendLine(CultureInfo.InvariantCulture, $"  Rotation anagram 6/9: {report.AnagramRate:P0}; flip anagram 2/5: {report.FlipAnagramRate:P0}");
        foreach (var (far, near, rate) in report.HybridRates) text.AppendLine(CultureInfo.InvariantCulture, $"  Hybrid far {far} / near {near}: {rate:P0}");
        Console.Write(text);
        Directory.CreateDirectory(options.Output);
        AtomicFile.WriteAllText(Path.Combine(options.Output, "part-a-measurements.txt"), text.ToString());
        return 0;
    }

    /// <summary>
    /// <see cref="PartAMeasurements.MeasureAll"/> one measurement at a time, in its order and with its arguments, so that
    /// each can advance the progress (the library method reports none).
    /// </summary>
    private static PartAReport MeasureAll(PartAMeasurements measurements, int count, long seed, ProgressDisplay display, CancellationToken cancellationToken)
    {
        const int img2ImgStart = 10;
        var hybrids = PartAMeasurements.HybridPairs;
        using var phase = display.Begin($"measuring Part A rates ({count} samples each)", 5 + hybrids.Count, "measurements");
        T Step<T>(string name, Func<T> measure)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = measure();
            phase.Advance(detail: name);
            return result;
        }
        var levels = Step("SDEdit", () => measurements.MeasureSdedit(count, seed));
        var inpainting = Step("inpainting", () => measurements.MeasureInpainting(count, seed));
        var img2Img = Step("img2img", () => measurements.MeasureImg2Img(count, seed, img2ImgStart));
        var rotation = Step("anagram 6/9", () => measurements.MeasureAnagram(6, 9, View.Rotate180, count, seed));
        var flip = Step("anagram 2/5", () => measurements.MeasureAnagram(2, 5, View.FlipVertical, count, seed));
        var hybridRates = hybrids.Select(p => (p.Far, p.Near, Step($"hybrid {p.Far}/{p.Near}", () => measurements.MeasureHybrid(p.Far, p.Near, count, seed)))).ToList();
        phase.Complete();
        return new PartAReport(count, levels, inpainting, img2Img, img2ImgStart, rotation, flip, hybridRates);
    }

    private static List<Tensor> Clip(IEnumerable<Tensor> tiles) => tiles.Select(t => t.clamp(0f, 1f)).ToList();

    private static List<Tensor> Clip(Tensor batch) => Enumerable.Range(0, (int)batch.shape[0]).Select(i => batch[i].clamp(0f, 1f)).ToList();

    /// <summary>The horse silhouette of the sample assets, inverted to white-on-black and fitted to 28×28.</summary>
    private static Tensor Silhouette()
    {
        using var gray = ImageIO.LoadTensor(Path.Combine(AppContext.BaseDirectory, "assets", "horse.png"), 28, ImageFit.CenterCrop, PixelRange.ZeroToOne, channels: 1);
        return 1 - gray;
    }

    /// <summary>A crude "hand-drawn" 4: three strokes on a 28×28 canvas.</summary>
    private static Tensor HandDrawnFour()
    {
        var canvas = zeros(1, 1, 28, 28);
        canvas[0, 0, 5..16, 8..11] = tensor(1f);
        canvas[0, 0, 14..17, 8..21] = tensor(1f);
        canvas[0, 0, 4..24, 17..20] = tensor(1f);
        return canvas;
    }
}
