using System.Globalization;
using System.Text.Json;
using Diffusion.Net.IO;
using Diffusion.Net.Imaging;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Evaluation;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Samples.Cli;
using Diffusion.Net.Schedules;
using Diffusion.Net.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Samples.Mnist;

/// <summary>Every Part B figure of the CS180 spec (§3), written as labelled PNGs and GIFs.</summary>
/// <remarks>Training, sampling and evaluation show their progress on <paramref name="display"/>; <paramref name="cancellationToken"/> stops them (Ctrl+C).</remarks>
internal sealed class PartBFigures(MnistDataset train, MnistDataset test, SampleOptions options, ProgressDisplay display, CancellationToken cancellationToken)
{
    private static readonly double[] Sigmas = [0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0];
    private readonly ImageGridOptions _grid = new() { Range = PixelRange.ZeroToOne, Scale = 2, Padding = 3 };

    private string Out(params string[] parts)
    {
        var path = Path.Combine([options.Output, .. parts]);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    /// <summary>The main job: train the quick class-conditioned UNet (DDPM or flow), sample 4 of each digit with CFG (γ = 5 unless --cfg), evaluate.</summary>
    public Task MainJobAsync() => ClassConditionedAsync(evaluate: true, snapshots: false);

    /// <summary>Fig. 3: test digits noised with z = x + σε for σ ∈ {0, 0.2, 0.4, 0.5, 0.6, 0.8, 1}.</summary>
    public void Noising()
    {
        Console.WriteLine("Part B §1.2: noising at seven σ");
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)options.Seed, CPU);
        var digits = test.Images(0, 4);
        var tiles = new List<Tensor>();
        var labels = new List<string>();
        for (int row = 0; row < 4; row++)
            foreach (var sigma in Sigmas)
            {
                tiles.Add(GaussianNoising.Add(digits[row].unsqueeze(0), sigma, generator)[0]);
                labels.Add(string.Create(CultureInfo.InvariantCulture, $"σ={sigma:0.0}"));
            }
        ImageGrid.Save(Out("1-noising.png"), tiles, Sigmas.Length, _grid with { Labels = labels, Title = "z = x + σε on test digits" });
    }

    /// <summary>Figs. 4–7: the single-step denoiser's loss, test results after epoch 1 and the last, out-of-distribution σ.</summary>
    public void Denoiser()
    {
        var recipe = options.Recipe(MnistModelKind.Denoiser);
        Console.WriteLine($"Part B §1.2.1: training the denoiser ({Describe(recipe)})");
        var dir = Out(recipe.Name, "checkpoint");
        var model = (UnconditionalUNet)MnistTraining.CreateModel(recipe);
        using var generator = new Generator((ulong)options.Seed + 7, CPU);
        var picks = test.Images(0, 3);
        void Results(int epoch)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var noisy = GaussianNoising.Add(picks, recipe.Sigma, generator);
            var output = model.forward(noisy.to(model.parameters().First().dtype)).to(ScalarType.Float32);
            var tiles = Enumerable.Range(0, 3).SelectMany(i => new[] { picks[i], noisy[i], output[i] }).ToList();
            var labels = Enumerable.Range(0, 3).SelectMany(_ => new[] { "input", "noisy σ=0.5", "output" }).ToList();
            ImageGrid.Save(Out(recipe.Name, $"2-denoiser-test-epoch{epoch}.png"), tiles, 3, _grid with { Labels = labels, Title = $"Denoiser on test digits after epoch {epoch}" });
        }
        var snapshots = new HashSet<int> { 1, recipe.Training.Epochs };
        var trainer = MnistTraining.CreateTrainer(recipe.WithCheckpoints(dir), model, e => { if (snapshots.Contains(e)) Results(e); });
        TrainingResult result;
        using (var progress = display.Training($"training {recipe.Name}")) result = trainer.Train(train, progress, cancellationToken);
        result.History.SavePlot(Out(recipe.Name, "2-denoiser-loss.png"), $"Denoiser training loss ({Describe(recipe)})");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  trained in {result.Elapsed.TotalMinutes:0.0} min, {result.ImagesPerSecond:0} img/s; final epoch mean loss {result.History.EpochMean(recipe.Training.Epochs):0.00000}"));

        // Fig. 7: one test digit at every σ, noisy and denoised (trained only at σ = 0.5).
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var digit = test.Images(0, 1);
        var noisyAll = cat(Sigmas.Select(s => GaussianNoising.Add(digit, s, generator)).ToArray(), 0);
        var denoised = model.forward(noisyAll);
        var ood = Enumerable.Range(0, Sigmas.Length).Select(i => noisyAll[i]).Concat(Enumerable.Range(0, Sigmas.Length).Select(i => denoised[i])).ToList();
        var oodLabels = Sigmas.Select(s => string.Create(CultureInfo.InvariantCulture, $"σ={s:0.0}")).Concat(Sigmas.Select(_ => "denoised")).ToList();
        ImageGrid.Save(Out(recipe.Name, "2-denoiser-out-of-distribution.png"), ood, Sigmas.Length, _grid with { Labels = oodLabels, Title = "Denoiser trained at σ=0.5, tested at other σ" });
    }

    /// <summary>
    /// The flow version's "denoise pure noise" exercise: the single-step denoiser trained on z = ε, its loss, and what it
    /// outputs for fresh noise next to the mean training digit (the MSE optimum it should approach).
    /// </summary>
    public void PureNoiseDenoiser()
    {
        var recipe = options.Recipe(MnistModelKind.PureNoiseDenoiser);
        Console.WriteLine($"Part B §1 (flow version): training the denoiser on pure noise ({Describe(recipe)})");
        var model = (UnconditionalUNet)MnistTraining.CreateModel(recipe);
        var trainer = MnistTraining.CreateTrainer(recipe.WithCheckpoints(Out(recipe.Name, "checkpoint")), model);
        TrainingResult result;
        using (var progress = display.Training($"training {recipe.Name}")) result = trainer.Train(train, progress, cancellationToken);
        result.History.SavePlot(Out(recipe.Name, "2-pure-noise-loss.png"), $"Denoiser trained on pure noise ({Describe(recipe)})");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.eval();
        using var generator = new Generator((ulong)options.Seed + 11, CPU);
        var noise = randn([9, 1, 28, 28], generator: generator);
        var output = model.forward(noise.to(model.parameters().First().dtype)).to(ScalarType.Float32);
        var mean = train.Images(0, Math.Min(train.Count, 10_000)).mean([0]);
        var tiles = Enumerable.Range(0, 9).Select(i => noise[i].clamp(0f, 1f)).Concat(Enumerable.Range(0, 9).Select(i => output[i])).Append(mean).ToList();
        var labels = Enumerable.Repeat("noise", 9).Concat(Enumerable.Repeat("output", 9)).Append("mean digit").ToList();
        ImageGrid.Save(Out(recipe.Name, "2-pure-noise-outputs.png"), tiles, 9, _grid with { Labels = labels, Title = "Denoising pure noise: every output is close to the mean digit" });
        var gap = (output - mean.unsqueeze(0)).pow(2).mean().sqrt().item<float>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  trained in {result.Elapsed.TotalMinutes:0.0} min; final epoch mean loss {result.History.EpochMean(recipe.Training.Epochs):0.00000}; RMS distance of the outputs to the mean digit {gap:0.0000}"));
    }

    /// <summary>Fig. 10 and samples: the time-conditioned UNet's loss curve, Algorithm B.2 samples at chosen epochs, a GIF.</summary>
    public void TimeConditioned()
    {
        var recipe = options.Recipe(MnistModelKind.TimeConditioned);
        Console.WriteLine($"Part B §2.2: training the time-conditioned UNet ({Describe(recipe)})");
        var model = (TimeConditionalUNet)MnistTraining.CreateModel(recipe);
        void Samples(int epoch)
        {
            using var sampling = display.Sampling($"sampling 40 digits after epoch {epoch}");
            using var samples = MnistSampling.TimeConditioned(model, 40, sampler: options.Sampler).Run(RunOptions(model, recipe), sampling, cancellationToken);
            using var shown = MnistSampling.Threshold(samples.Sample.to(ScalarType.Float32));
            ImageGrid.Save(Out(recipe.Name, $"3-time-samples-epoch{epoch}.png"), shown, 10, _grid with { Title = $"Time-conditioned samples ({SamplingName(recipe)}) after epoch {epoch}" });
        }
        var snapshots = SnapshotEpochs(recipe);
        var trainer = MnistTraining.CreateTrainer(recipe.WithCheckpoints(Out(recipe.Name, "checkpoint")), model, e => { if (snapshots.Contains(e)) Samples(e); });
        TrainingResult result;
        using (var progress = display.Training($"training {recipe.Name}")) result = trainer.Train(train, progress, cancellationToken);
        result.History.SavePlot(Out(recipe.Name, "3-time-loss.png"), $"Time-conditioned UNet training loss ({Describe(recipe)})");
        using var gifSampling = display.Sampling("sampling 40 digits for the GIF");
        using var run = MnistSampling.TimeConditioned(model, 40, sampler: options.Sampler).CaptureTrajectory(GifEvery).Run(RunOptions(model, recipe), gifSampling, cancellationToken);
        SaveGif(Out(recipe.Name, "3-time-denoising.gif"), run);
    }

    /// <summary>Fig. 11 and samples: the class-conditioned UNet's loss curve, 4 of each digit with CFG at chosen epochs, a GIF, evaluation.</summary>
    public async Task ClassConditionedAsync(bool evaluate, bool snapshots = true)
    {
        var recipe = options.Recipe(MnistModelKind.ClassConditioned);
        MnistEvaluator? evaluator = null;
        if (evaluate)
        {
            Console.WriteLine("Evaluation classifier (shipped with Diffusion.Net.Mnist, the one the docs' numbers were measured with):");
            evaluator = await Task.Run(() => MnistEvaluator.LoadShipped(test));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  test accuracy {evaluator.TestAccuracy:P2}"));
        }
        Console.WriteLine($"Part B §2.4: training the class-conditioned UNet ({Describe(recipe)})");
        var model = (ClassConditionalUNet)MnistTraining.CreateModel(recipe);
        var digits = MnistSampling.EachDigit(4);
        var labels = digits.Select(d => d.ToString(CultureInfo.InvariantCulture)).ToList();
        void Samples(int epoch)
        {
            using var sampling = display.Sampling($"sampling {digits.Length} digits after epoch {epoch}");
            using var samples = MnistSampling.ClassConditioned(model, digits, options.GuidanceScale, sampler: options.Sampler).Run(RunOptions(model, recipe), sampling, cancellationToken);
            using var shown = MnistSampling.Threshold(samples.Sample.to(ScalarType.Float32));
            ImageGrid.Save(Out(recipe.Name, $"4-class-samples-epoch{epoch}.png"), shown, 10, _grid with { Title = $"Class-conditioned samples, CFG {Cfg} ({SamplingName(recipe)}), after epoch {epoch}" });
            if (epoch == recipe.Training.Epochs || evaluator is null) return;
            // Intermediate epochs: keep the weights and measure them, so a long run reports every milestone.
            using (var scope = NewDisposeScope())
                SafetensorsWriter.Save(Out(recipe.Name, $"model-epoch{epoch}.safetensors"), model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.is_floating_point() ? kv.Value.to(ScalarType.Float32) : kv.Value));
            Evaluate(model, recipe, evaluator, Out(recipe.Name, $"evaluation-epoch{epoch}.json"), epoch, null);
        }
        var epochs = snapshots ? SnapshotEpochs(recipe) : [];
        var trainer = MnistTraining.CreateTrainer(recipe.WithCheckpoints(Out(recipe.Name, "checkpoint")), model, e => { if (epochs.Contains(e)) Samples(e); });
        TrainingResult result;
        using (var progress = display.Training($"training {recipe.Name}")) result = await trainer.TrainAsync(train, progress, cancellationToken);
        result.History.SavePlot(Out(recipe.Name, "4-class-loss.png"), $"Class-conditioned UNet training loss ({Describe(recipe)})");
        if (result.ResumedFromEpoch > 0) Console.WriteLine($"  resumed after epoch {result.ResumedFromEpoch}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  training: {result.Elapsed.TotalMinutes:0.0} min this run, {result.ImagesPerSecond:0} img/s; last epoch mean loss {result.History.EpochMean(recipe.Training.Epochs):0.00000}"));

        using var digitSampling = display.Sampling($"sampling {digits.Length} digits");
        using var run = MnistSampling.ClassConditioned(model, digits, options.GuidanceScale, sampler: options.Sampler).CaptureTrajectory(GifEvery).Run(RunOptions(model, recipe), digitSampling, cancellationToken);
        using (var shown = MnistSampling.Threshold(run.Sample.to(ScalarType.Float32)))
            ImageGrid.Save(Out("digits.png"), shown, 10, _grid with { Title = $"4 of each digit, CFG {Cfg} ({recipe.Name}: D={recipe.Hidden}, {recipe.Training.Epochs} epochs)", Labels = labels });
        SaveGif(Out("denoising.gif"), run);
        var interval = MnistSampling.LimitedGuidanceIntervalFor(recipe.Objective);
        using (var limited = MnistSampling.ClassConditioned(model, digits, options.GuidanceScale, guidanceInterval: interval, sampler: options.Sampler).Run(RunOptions(model, recipe), digitSampling, cancellationToken))
        using (var shown = MnistSampling.Threshold(limited.Sample.to(ScalarType.Float32)))
        {
            ImageGrid.Save(Out("digits-limited-guidance.png"), shown, 10, _grid with
            {
                Title = string.Create(CultureInfo.InvariantCulture, $"Same seeds, CFG {Cfg} only for {IntervalName(recipe)} ({recipe.Name}: D={recipe.Hidden}, {recipe.Training.Epochs} epochs)"),
                Labels = labels,
            });
        }
        File.Copy(Out(recipe.Name, "4-class-loss.png"), Out("loss.png"), overwrite: true);

        if (evaluator is null) return;
        Evaluate(model, recipe, evaluator, Out("evaluation.json"), recipe.Training.Epochs, result);
    }

    /// <summary>
    /// Measures the main job's sampling (γ = 5 at every step; <c>--sampler ddpm</c> is B.4 as specified) and, with
    /// --limited-guidance, the same γ limited to the lower half
    /// of the schedule (<see cref="MnistSampling.LimitedGuidanceInterval"/>) on the same seeds; writes both to
    /// <paramref name="path"/>. The second evaluation is opt-in because it costs ≈ 45 s, which the main job's
    /// 10-minute budget on 2 cores does not have to spare on a first run.
    /// </summary>
    private void Evaluate(ClassConditionalUNet model, MnistRecipe recipe, MnistEvaluator evaluator, string path, int epoch, TrainingResult? result)
    {
        int perDigit = Math.Max(1, options.EvalSamples / 10);
        var interval = MnistSampling.LimitedGuidanceIntervalFor(recipe.Objective);
        Console.WriteLine($"Evaluating {perDigit * 10} samples after epoch {epoch} ({perDigit} per digit):");
        var quality = Measure(model, recipe, evaluator, perDigit, null);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {SamplingName(recipe)} ({options.Sampler.Sampler}), {options.Sampler.ModelCalls(model.Process)} UNet evaluations per branch, CFG {Cfg} at every step: ") + quality);
        MnistQuality? limited = null;
        if (options.EvaluateLimitedGuidance)
        {
            limited = Measure(model, recipe, evaluator, perDigit, interval);
            Console.WriteLine($"  CFG {Cfg} only for {IntervalName(recipe)} (limited interval): " + limited);
        }
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(new
        {
            recipe = recipe.Name, objective = recipe.Objective.ToString(), hidden = recipe.Hidden, epoch, guidanceScale = options.GuidanceScale, epochs = recipe.Training.Epochs, precision = recipe.Training.Precision.ToString(),
            sampler = options.Sampler.Name,
            quality.Samples, quality.ClassAgreement, quality.MeanConfidence, quality.FrechetDistance, quality.RealFrechetDistance, quality.FrechetRatio,
            limitedGuidance = limited is null ? null : new
            {
                minTimestep = interval.Min, maxTimestep = interval.Max,
                limited.ClassAgreement, limited.MeanConfidence, limited.FrechetDistance, limited.RealFrechetDistance, limited.FrechetRatio,
            },
            classifierTestAccuracy = evaluator.TestAccuracy, trainingMinutesThisRun = result?.Elapsed.TotalMinutes, imagesPerSecond = result?.ImagesPerSecond,
        }, new JsonSerializerOptions { WriteIndented = true }));
    }

    private MnistQuality Measure(ClassConditionalUNet model, MnistRecipe recipe, MnistEvaluator evaluator, int perDigit, (double Min, double Max)? interval)
    {
        var requested = MnistSampling.EachDigit(perDigit);
        var batches = new List<Tensor>();
        using var phase = display.Begin(interval is null ? "evaluation: sampling" : "evaluation: sampling (limited CFG)", requested.Length, "digits");
        for (int start = 0; start < requested.Length; start += 100)
        {
            var chunk = requested.Skip(start).Take(100).ToArray();
            using var r = MnistSampling.ClassConditioned(model, chunk, options.GuidanceScale, guidanceInterval: interval, sampler: options.Sampler)
                .Run(RunOptions(model, recipe) with { Seed = options.Seed + 1000 + start }, SamplingProgressReporter.Into(phase, start, chunk.Length), cancellationToken);
            batches.Add(MnistSampling.Threshold(r.Sample.to(ScalarType.Float32)));
        }
        phase.Complete();
        using var all = cat(batches, 0);
        foreach (var b in batches) b.Dispose();
        // The real-digit floor is the yardstick every ratio is read against: one fixed draw (seed 0, as in the
        // benchmarks), so that runs with different --seed values are compared against the same floor.
        return evaluator.Evaluate(all, requested, seed: 0);
    }

    /// <summary>About 30 GIF frames whatever the sampler's step count (every 10th of DDPM's 300 steps).</summary>
    private int GifEvery => Math.Max(1, (options.Sampler.Steps ?? 300) / 30);

    /// <summary>
    /// The network runs in the training precision (a bfloat16 UNet is 2–3× faster on this kind of CPU); the sampling
    /// state x_t stays float32 (see <see cref="UNetBackbone"/>'s mixed-precision prediction).
    /// </summary>
    private DiffusionRunOptions RunOptions(UNetBackbone model, MnistRecipe recipe)
    {
        model.to(recipe.Training.Precision == TrainingPrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32);
        return new DiffusionRunOptions { Seed = options.Seed, DType = ScalarType.Float32 };
    }

    private void SaveGif(string path, DiffusionResult run)
    {
        using var scope = NewDisposeScope();
        var frames = run.Trajectory.Select(f => MnistSampling.Threshold(f.Sample)).ToList();
        AnimatedGif.Save(path, frames, columns: 10, options: _grid, frameDelayMs: 60, finalFrameDelayMs: 2000);
    }

    /// <summary>The epochs with sample figures: CS180's 5 and 20 for DDPM, 1, 5 and 10 for the flow version, and the last.</summary>
    private string Cfg => options.GuidanceScale.ToString("0.##", CultureInfo.InvariantCulture);

    private static HashSet<int> SnapshotEpochs(MnistRecipe recipe)
    {
        int epochs = recipe.Training.Epochs;
        var set = new HashSet<int> { epochs };
        foreach (var e in recipe.IsFlow ? new[] { 1, 5, 10 } : [5, 20]) if (e <= epochs) set.Add(e);
        if (epochs < 5) set.Add(1);
        return set;
    }

    /// <summary>The sampling for titles and logs, in the plain characters the figures' bitmap font has.</summary>
    private string SamplingName(MnistRecipe recipe) => options.Sampler.Steps is null
        ? "Algorithm B.4 (DDPM, 300 steps)"
        : recipe.IsFlow && options.Sampler.EqualSteps ? $"{options.Sampler.Name}, equal steps in t" : options.Sampler.Name;

    private static string IntervalName(MnistRecipe recipe)
    {
        var interval = MnistSampling.LimitedGuidanceIntervalFor(recipe.Objective);
        return recipe.IsFlow
            ? string.Create(CultureInfo.InvariantCulture, $"t >= {1 - interval.Max / 1000}")
            : string.Create(CultureInfo.InvariantCulture, $"t <= {interval.Max}");
    }

    private static string Describe(MnistRecipe r) => string.Create(CultureInfo.InvariantCulture,
        $"{r.Name}: {(r.IsFlow ? "flow matching" + (r.FlowTime == FlowTimeDistribution.LogitNormal ? " (logit-normal t)" : "") + ", " : "")}D={r.Hidden}, {r.Training.Epochs} epochs, batch {r.Training.BatchSize}, lr {r.Training.LearningRate:0e0}, {r.Training.Precision}{(r.Training.EmaDecay is { } d ? $", EMA {d}" : "")}");
}
