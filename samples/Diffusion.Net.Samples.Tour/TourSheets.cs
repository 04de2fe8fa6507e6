using System.Diagnostics;
using Diffusion.Net.Guidance;
using Diffusion.Net.Imaging;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Views;
using Diffusion.Net.Samples.Cli;
using static TorchSharp.torch;

namespace Diffusion.Net.Samples.Tour;

/// <summary>The Tour's six sheets: forward process and one-step denoising, samples, CFG, SDEdit, inpainting, an anagram.</summary>
internal static class TourSheets
{
    /// <summary>The sheets written, the unit of the Tour's progress.</summary>
    private const int SheetCount = 6;

    /// <summary>Writes the six sheets into <paramref name="output"/>; returns the exit code.</summary>
    public static int Write(string output, ProgressDisplay display, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(output);
        var clock = Stopwatch.StartNew();
        string Asset(string name) => Path.Combine(AppContext.BaseDirectory, "assets", name);

        string[] names = ["rocket", "astronaut", "cat", "coffee", "camera"];
        string[] files = ["rocket.jpg", "astronaut.png", "chelsea.png", "coffee.png", "camera.png"];
        using var photos = cat(files.Select(f => ImageIO.LoadTensor(Asset(f), 64, ImageFit.CenterCrop)).ToArray(), 0);
        var schedule = NoiseSchedules.SquaredCosCapV2();
        var model = new EmpiricalOptimalPredictor(schedule, photos, labels: [0, 1, 2, 3, 4]);
        var strided = Timesteps.Strided();
        using var rocket = photos[0].unsqueeze(0);
        var grid = new ImageGridOptions { Scale = 2 };
        using var sheets = display.Begin("Tour sheets", SheetCount, "sheets");
        using var sampling = display.Sampling("sampling");
        var run = new DiffusionRunOptions { Seed = 180 };
        Tensor Sampled(DiffusionPipeline pipeline) => pipeline.Run(run, sampling, cancellationToken).TakeSample();
        void Saved(string sheet)
        {
            sheets.Advance(detail: sheet);
            cancellationToken.ThrowIfCancellationRequested();
        }

        // §1.1 forward process, §1.2 blur, §1.3 one-step.
        var forward = new List<Tensor>();
        var labels = new List<string>();
        using var generator = new Generator(180, CPU);
        foreach (int t in new[] { 250, 500, 750 })
        {
            var noisy = ForwardProcess.Sample(schedule, rocket, t, generator);
            using var tt = tensor(new long[] { t });
            using var eps = model.Predict(noisy, tt, Condition.None);
            forward.AddRange([rocket.alias(), noisy, GaussianBlur.Apply(noisy, 5, 2), eps.ToOriginal(noisy, schedule.At(t))]);
            labels.AddRange(["original", $"t={t}", "blur 5/2", "one-step"]);
        }
        ImageGrid.Save(Path.Combine(output, "1-forward-blur-onestep.png"), forward, 4, grid with { Labels = labels, Title = "Forward process, Gaussian blur, one-step denoising" });
        Saved("§1.1–1.3");

        // §1.5 sampling from pure noise, then §1.6 with classifier-free guidance toward "cat".
        using (var samples = Sampled(DiffusionPipeline.FromNoise(5, 3, 64, 64).Denoise(model, strided, Condition.None)))
            ImageGrid.Save(Path.Combine(output, "2-samples.png"), samples, 5, grid with { Title = "Samples from pure noise (strided, 33 steps)" });
        Saved("§1.5");
        using (var cats = Sampled(DiffusionPipeline.FromNoise(5, 3, 64, 64).Denoise(model, strided, Condition.Classes(2))
                   .WithGuidance(Guide.ClassifierFree(3))))
            ImageGrid.Save(Path.Combine(output, "3-cfg-cat.png"), cats, 5, grid with { Title = "CFG scale 3 toward class 'cat'" });
        Saved("§1.6");

        // §1.7 SDEdit of the rocket toward "coffee", at the CS180 start indices.
        var edits = new List<Tensor> { rocket };
        var editLabels = new List<string> { "source" };
        foreach (int start in new[] { 1, 3, 5, 7, 10, 20 })
        {
            edits.Add(Sampled(DiffusionPipeline.From(rocket).Noise(schedule, strided, start)
                .Denoise(model, strided.From(start), Condition.Classes(3))));
            editLabels.Add($"i_start={start}");
        }
        ImageGrid.Save(Path.Combine(output, "4-sdedit.png"), edits, 7, grid with { Labels = editLabels, Title = "SDEdit: rocket toward 'coffee'" });
        Saved("§1.7");

        // §1.7.2 inpainting a square of the rocket with the cat.
        using var mask = Masks.Rectangle(64, 64, top: 8, left: 20, height: 28, width: 24);
        using (var filled = Sampled(DiffusionPipeline.FromNoise(1, 3, 64, 64).Denoise(model, strided, Condition.Classes(2)).Inpaint(rocket, mask)))
        using (var maskRgb = (mask * 2 - 1).expand(1, 3, 64, 64))
            ImageGrid.Save(Path.Combine(output, "5-inpaint.png"), [rocket, maskRgb, filled], 3, grid with { Labels = ["image", "mask", "result"], Title = "Inpainting" });
        Saved("§1.7.2");

        // §1.8 a flip anagram: astronaut upright, coffee upside down.
        using (var anagram = Sampled(DiffusionPipeline.FromNoise(1, 3, 64, 64)
                   .Denoise(model, strided, View.Average((Condition.Classes(1), View.Identity), (Condition.Classes(3), View.FlipVertical)))))
        using (var flipped = anagram.flip(2))
            ImageGrid.Save(Path.Combine(output, "6-anagram.png"), [anagram, flipped], 2, grid with { Labels = ["upright", "flipped"], Title = "Visual anagram" });
        Saved("§1.8");

        sheets.Complete();
        foreach (var t in forward.Concat(edits.Skip(1))) t.Dispose();
        Console.WriteLine($"Wrote 6 sheets to {Path.GetFullPath(output)} in {clock.Elapsed.TotalSeconds:0.0} s.");
        return 0;
    }
}
