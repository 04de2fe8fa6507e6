using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.PartA;
using Diffusion.Net.DeepFloyd.Pipelines;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Imaging;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Samples.Cli;
using static TorchSharp.torch;

namespace Diffusion.Net.Samples.PartA;

/// <summary>CS180 Part A §0–1.9 with DeepFloyd IF (stage I at 64×64, stage II for §0's upsampling).</summary>
internal static class DeepFloydSheets
{
    private static readonly ImageGridOptions Grid = new() { Range = PixelRange.MinusOneToOne, Scale = 2, Padding = 3 };

    private const string Needed = """
        DeepFloyd IF is not available. Part A on IF needs:
          --stage1 DIR       a diffusers folder of DeepFloyd/IF-I-L-v1.0 (or IF-I-XL-v1.0, IF-I-M-v1.0) with
                             model_index.json, unet/config.json, unet/diffusion_pytorch_model[.fp16].safetensors,
                             scheduler/scheduler_config.json
          --stage2 DIR       optional (§0 upsampling): DeepFloyd/IF-II-L-v1.0 with the same files plus
                             image_noising_scheduler/scheduler_config.json
          --embeddings FILE  prompt embeddings: CS180's prompt_embeds_dict.pth
                             (https://cal-cs180.github.io/fa24/hw/proj5/prompt_embeds_dict.pth), or a .safetensors store
                             written by PromptEmbeddings.Save (it must hold "" and "a high quality photo")
        The IF weights are gated: log in at https://huggingface.co, accept the licence on
        https://huggingface.co/DeepFloyd/IF-I-XL-v1.0 (it unlocks the other IF models), then download, e.g.
          huggingface-cli download DeepFloyd/IF-I-L-v1.0 --include "model_index.json" "unet/*fp16*" "unet/config.json" "scheduler/*" --local-dir IF-I-L-v1.0
        Without IF, run the same sheets on MNIST: dotnet run -c Release --project samples/Diffusion.Net.Samples.PartA
        """;

    /// <summary>The sections of <see cref="Run"/> (§0 to §1.9), the unit of its progress.</summary>
    private const int SectionCount = 8;

    public static int Run(PartAOptions options, ProgressDisplay display, CancellationToken cancellationToken)
    {
        if (options.Stage1 is null || options.Embeddings is null) throw new DeepFloydMissingException(Needed);
        foreach (var (path, name) in new[] { (options.Stage1, "--stage1"), (options.Embeddings, "--embeddings") })
            if (!Directory.Exists(path) && !File.Exists(path)) throw new DeepFloydMissingException($"{name} '{path}' does not exist.\n\n{Needed}");
        // Only this program runs the UNets, and only forward: their convolution weights can stay in oneDNN's layout.
        var loadOptions = (options.Bf16 ? DeepFloydOptions.Bf16 : DeepFloydOptions.Float32) with { PackUNetConvolutionWeights = true };
        using var stage1 = DeepFloydModel.Load(options.Stage1, loadOptions);
        using var stage2 = options.Stage2 is null ? null : DeepFloydModel.Load(options.Stage2, loadOptions);
        using var prompts = options.Embeddings.EndsWith(".pth", StringComparison.OrdinalIgnoreCase)
            ? PromptEmbeddings.ImportPth(options.Embeddings) : PromptEmbeddings.Load(options.Embeddings);
        var partA = new DeepFloydPartA(stage1, prompts);
        var outDir = Path.Combine(options.Output, "deepfloyd");
        Directory.CreateDirectory(outDir);
        string Out(string name) => Path.Combine(outDir, name);
        long seed = options.Seed;
        Console.WriteLine($"DeepFloyd Part A, seed {seed}, output {Path.GetFullPath(outDir)}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var sections = display.Begin("Part A sheets (DeepFloyd IF)", SectionCount, "sections");
        void Done(string section)
        {
            sections.Advance(detail: section);
            cancellationToken.ThrowIfCancellationRequested();
        }
        // Every IF run takes minutes on a CPU: each gets its own bar, in the sampler's steps.
        using var sampling = display.Sampling("sampling (IF)");
        var run = new DiffusionRunOptions { Seed = seed };
        Tensor Sampled(DiffusionPipeline pipeline) => pipeline.Run(run, sampling, cancellationToken).TakeSample();
        string Asset(string f) => Path.Combine(AppContext.BaseDirectory, "assets", f);
        int size = stage1.SampleSize;
        var tower = ImageIO.LoadTensor(Asset("rocket.jpg"), size, ImageFit.Stretch);     // stands in for the Campanile

        // §0: the stock pipelines on three prompts, at two step counts.
        string[] part0 = ["an oil painting of a snowy mountain village", "a man wearing a hat", "a rocket ship"];
        if (part0.All(prompts.Contains))
        {
            foreach (int steps in new[] { 20, 50 })
            {
                using var images = new IFPipeline(stage1).Generate(prompts.Batch(part0), prompts[""], new IFGenerationOptions { Steps = steps, Seed = seed }, sampling, cancellationToken);
                ImageGrid.Save(Out($"0-stage1-{steps}steps.png"), images.Sample, 3, Grid with { Labels = part0, Title = $"Stage I, {steps} steps, seed {seed}" });
                if (stage2 is null) continue;
                using var big = new IFSuperResolutionPipeline(stage2).Upscale(images.Sample, prompts.Batch(part0), prompts[""], new IFSuperResolutionOptions { Steps = steps, Seed = seed }, sampling, cancellationToken);
                ImageGrid.Save(Out($"0-stage2-{steps}steps.png"), big.Sample, 3, Grid with { Scale = 1, Labels = part0, Title = $"Stage II, {steps} steps" });
            }
        }

        Done("§0");

        // §1.1–1.3.
        var tiles = new List<Tensor>();
        var labels = new List<string>();
        foreach (int t in new[] { 250, 500, 750 })
        {
            var noisy = partA.Forward(tower, t, seed);
            tiles.AddRange([tower[0], noisy[0], GaussianBlur.Apply(noisy, 5, 2)[0], partA.OneStep(noisy, t)[0]]);
            labels.AddRange(["original", $"t={t}", "blur k5 σ2", "one-step"]);
        }
        ImageGrid.Save(Out("1.1-1.3-forward-blur-onestep.png"), tiles, 4, Grid with { Labels = labels });
        Done("§1.1–1.3");

        // §1.4.
        var x690 = partA.Forward(tower, partA.Strided[10], seed);
        using (var iterative = partA.Iterative(x690, 10, guided: false).CaptureTrajectory(5).Run(run, sampling, cancellationToken))
        {
            var frames = new List<Tensor> { x690[0] };
            frames.AddRange(iterative.Trajectory.Select(f => f.Sample[0]));
            frames.AddRange([iterative.Sample[0], partA.OneStep(x690, partA.Strided[10])[0], GaussianBlur.Apply(x690, 5, 2)[0]]);
            var frameLabels = new List<string> { "t=690" };
            frameLabels.AddRange(iterative.Trajectory.Select(f => $"t={f.Timestep}"));
            frameLabels.AddRange(["iterative", "one-step", "blur"]);
            ImageGrid.Save(Out("1.4-iterative.png"), frames, frames.Count, Grid with { Labels = frameLabels });
        }
        Done("§1.4");

        // §1.5 / §1.6.
        using (var plain = partA.Sample(5, guided: false).Run(run, sampling, cancellationToken))
            ImageGrid.Save(Out("1.5-samples.png"), plain.Sample, 5, Grid with { Title = "\"a high quality photo\", no CFG" });
        using (var guided = partA.Sample(5).CaptureTrajectory(3).Run(run, sampling, cancellationToken))
        {
            ImageGrid.Save(Out("1.6-samples-cfg.png"), guided.Sample, 5, Grid with { Title = "\"a high quality photo\", CFG γ=7" });
            AnimatedGif.Save(Out("1.6-samples-cfg.gif"), guided.Trajectory.Select(f => f.Sample).ToList(), 5, Grid);
        }
        Done("§1.5–1.6");

        // §1.7 / 1.7.1 / 1.7.3: SDEdit series.
        var sources = new (string Name, Tensor Image, string Prompt)[]
        {
            ("tower", tower, DeepFloydPartA.GenericPrompt), ("astronaut", ImageIO.LoadTensor(Asset("astronaut.png"), size, ImageFit.CenterCrop), DeepFloydPartA.GenericPrompt),
            ("coffee", ImageIO.LoadTensor(Asset("coffee.png"), size, ImageFit.CenterCrop), DeepFloydPartA.GenericPrompt),
            ("web: cat", ImageIO.LoadTensor(Asset("chelsea.png"), size, ImageFit.CenterCrop), DeepFloydPartA.GenericPrompt),
            ("drawn: horse", ImageIO.LoadTensor(Asset("horse.png"), size, ImageFit.CenterCrop), DeepFloydPartA.GenericPrompt),
            ("tower → rocket ship", tower, "a rocket ship"), ("coffee → rocket ship", ImageIO.LoadTensor(Asset("coffee.png"), size, ImageFit.CenterCrop), "a rocket ship"),
        };
        var series = new List<Tensor>();
        var seriesLabels = new List<string>();
        foreach (var (name, image, prompt) in sources)
        {
            if (!prompts.Contains(prompt)) continue;
            series.Add(image[0]);
            seriesLabels.Add(name);
            foreach (var i in new[] { 1, 3, 5, 7, 10, 20 })
            {
                series.Add(Sampled(partA.Sdedit(image, i, prompt))[0]);
                seriesLabels.Add($"i={i}");
            }
        }
        ImageGrid.Save(Out("1.7-sdedit.png"), series, 7, Grid with { Labels = seriesLabels, Title = "SDEdit at i_start 1, 3, 5, 7, 10, 20" });
        Done("§1.7");

        // §1.7.2: inpainting the top of the tower (CS180's [2:20, 24:42] slice) and a patch of the coffee cup.
        using var towerMask = Masks.Rectangle(size, size, 2 * size / 64, 24 * size / 64, 18 * size / 64, 18 * size / 64);
        var inpainted = Sampled(partA.Inpaint(tower, towerMask));
        ImageGrid.Save(Out("1.7.2-inpainting.png"), [tower[0], (towerMask * 2 - 1).expand(1, 3, -1, -1)[0], (tower * (1 - towerMask))[0], inpainted[0]], 4,
            Grid with { Labels = ["image", "mask", "hole", "result"] });
        Done("§1.7.2");

        // §1.8 / §1.9.
        foreach (var (up, down, file) in new[] { ("an oil painting of an old man", "an oil painting of people around a campfire", "1.8-anagram-oldman-campfire.png"),
                     ("a photo of a dog", "a man wearing a hat", "1.8-anagram-dog-hat.png"), ("a lithograph of a skull", "an oil painting of a snowy mountain village", "1.8-anagram-skull-village.png") })
        {
            if (!prompts.Contains(up) || !prompts.Contains(down)) continue;
            var anagram = Sampled(partA.Anagram(up, down));
            ImageGrid.Save(Out(file), [anagram[0], anagram.flip(2)[0]], 2, Grid with { Labels = [up, "flipped: " + down] });
        }
        Done("§1.8");
        foreach (var (far, near, file) in new[] { ("a lithograph of a skull", "a lithograph of waterfalls", "1.9-hybrid-skull-waterfalls.png"),
                     ("a photo of a dog", "an oil painting of a snowy mountain village", "1.9-hybrid-dog-village.png"), ("a photo of a man", "a lithograph of waterfalls", "1.9-hybrid-man-waterfalls.png") })
        {
            if (!prompts.Contains(far) || !prompts.Contains(near)) continue;
            // CS180's kernel 33 at 64×64; smaller models get the largest odd kernel their reflect padding allows.
            int kernel = Math.Min(33, (size / 2 - 1) | 1);
            var hybrid = Sampled(partA.Hybrid(far, near, 1, kernel, 2));
            ImageGrid.Save(Out(file), [hybrid[0], GaussianBlur.Apply(hybrid, kernel, 2)[0]], 2, Grid with { Labels = ["near: " + near, "far: " + far] });
        }
        sections.Complete("§1.9");
        Console.WriteLine("Done.");
        return 0;
    }
}
