using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.DeepFloyd.Pipelines;
using Diffusion.Net.Guidance;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>
/// The pipeline API with hostile arguments (issue 20 #14): NaN/∞ images, masks and embeddings, extreme guidance,
/// models that produce NaN or overflow, empty and mis-sized inputs, transforms returning null, and DeepFloyd
/// stages (tiny random-weight UNets) given states or image conditions of the wrong shape. A run that returns
/// must return a finite image.
/// </summary>
internal static class PipelineCases
{
    private const string Target = "DiffusionPipeline / IF pipelines";
    private static readonly NoiseSchedule Process = NoiseSchedules.Linear(steps: 100);
    private static readonly double[] Scales = [0, 1, 7, 1e3, 1e5, 1e300, double.NaN, double.NegativeInfinity];
    private static readonly double[] Factors = [0, 0.5, 1, 1e38, double.NaN];

    public static IEnumerable<HostileCase> Create()
    {
        for (int i = 0; i < 60; i++)
        {
            int n = i;
            yield return new($"pipeline-random-{n:D2}", Target, Expectation.AcceptOrReject, _ => RandomRun(n));
        }
        yield return new("D14-nan-image", Target, Expectation.Reject, _ => DiffusionPipeline.From(WithValue(double.NaN)).Noise(Process, 50).Denoise(new Scaled(0.5), Process, 2, Condition.None).Run(), "ArgumentException", ["NaN"]);
        yield return new("D14-inf-noise", Target, Expectation.Reject, _ => DiffusionPipeline.FromNoise(WithValue(double.PositiveInfinity)).Denoise(new Scaled(0.5), Process, 2, Condition.None).Run(), "ArgumentException");
        yield return new("D14-inf-mask", Target, Expectation.Reject,
            _ => DiffusionPipeline.FromNoise(1, 3, 8, 8).Denoise(new Scaled(0.5), Process, 2, Condition.None).Inpaint(zeros(1, 3, 8, 8), WithValue(double.PositiveInfinity, 1)).Run(), "ArgumentException", ["mask"]);
        yield return new("D14-nan-text-embeddings", Target, Expectation.Reject, _ => Condition.Text(full(1, 4, 8, double.NaN)), "ArgumentException", ["NaN"]);
        yield return new("D14-guidance-1e300", Target, Expectation.Reject, _ => Guide.ClassifierFree(1e300), "ArgumentException");
        yield return new("D14-nan-model-output", Target, Expectation.Reject, _ => DiffusionPipeline.FromNoise(1, 3, 8, 8).Denoise(new Scaled(double.NaN), Process, 3, Condition.None).Run(), nameof(NotFiniteNumberException));
        yield return new("D14-overflowing-model", Target, Expectation.Reject, _ => DiffusionPipeline.FromNoise(1, 3, 8, 8).Denoise(new Scaled(1e38), Process, 3, Condition.None).Run(), nameof(NotFiniteNumberException));
        yield return new("D14-transform-returns-null", Target, Expectation.Reject, _ => DiffusionPipeline.FromNoise(1, 3, 8, 8).Transform("null", _ => null!).Run(), nameof(InvalidOperationException), ["null"]);
        yield return new("D14-empty-image", Target, Expectation.Reject, _ => DiffusionPipeline.From(zeros(1, 3, 0, 0)).Run(), "ArgumentException", ["empty"]);
        yield return new("D14-stage1-wrong-channels", Target, Expectation.Reject, _ =>
        {
            using var stage1 = Stage("unet_config.json");
            return DiffusionPipeline.FromNoise(1, 4, 16, 16).Denoise(stage1, 2, Text()).Validate();
        }, "ArgumentException", ["[B, 3, H, W]"]);
        yield return new("D14-stage1-indivisible-size", Target, Expectation.Reject, _ =>
        {
            using var stage1 = Stage("unet_config.json");
            return DiffusionPipeline.FromNoise(1, 3, 15, 15).Denoise(stage1, 2, Text()).Validate();
        }, "ArgumentException", ["multiples"]);
        yield return new("D14-stage2-condition-wrong-size", Target, Expectation.Reject, _ =>
        {
            using var stage2 = Stage("unet2_config.json");
            using var level = full(1, 10L, ScalarType.Int64);
            return stage2.Predict(zeros(1, 3, 16, 16), full(1, 10L, ScalarType.Int64), Condition.Combine(Text(), new ImageCondition(zeros(1, 3, 8, 8), level)));
        }, "ArgumentException", ["image condition"]);
        yield return new("D14-stage2-upscale-0x0", Target, Expectation.Reject, _ =>
        {
            using var stage2 = Stage("unet2_config.json");
            return new IFSuperResolutionPipeline(stage2).Upscale(zeros(1, 3, 0, 0), Text(), Text(), new IFSuperResolutionOptions { Steps = 2 });
        }, "ArgumentException", ["empty"]);
        yield return new("D14-stage2-upscale-nan", Target, Expectation.Reject, _ =>
        {
            using var stage2 = Stage("unet2_config.json");
            return new IFSuperResolutionPipeline(stage2).Upscale(full(1, 3, 8, 8, double.NaN), Text(), Text(), new IFSuperResolutionOptions { Steps = 2 });
        }, "ArgumentException", ["NaN"]);
        yield return new("pipeline-stage2-upscale-valid", Target, Expectation.Accept, _ =>
        {
            using var stage2 = Stage("unet2_config.json");
            return new IFSuperResolutionPipeline(stage2).Upscale(zeros(1, 3, 8, 8), Text(), Text(), new IFSuperResolutionOptions { Steps = 2 });
        });
        yield return new("pipeline-valid", Target, Expectation.Accept, _ => DiffusionPipeline.FromNoise(1, 3, 8, 8).Denoise(new Scaled(0.5), Process, 3, Condition.None).Run());
    }

    private static object? RandomRun(int n)
    {
        var random = new Random(n);
        var image = randn(1, 3, 8, 8, generator: new Generator((ulong)n));
        int kind = random.Next(5);
        if (kind == 1) image[0, random.Next(3), random.Next(8), random.Next(8)] = double.NaN;
        if (kind == 2) image[0, 0, random.Next(8), random.Next(8)] = double.NegativeInfinity;
        var model = new Scaled(Factors[random.Next(Factors.Length)]);
        var pipeline = (random.Next(2) == 0 ? DiffusionPipeline.FromNoise(image) : DiffusionPipeline.From(image).Noise(Process, random.Next(100)))
            .Denoise(model, Process, 1 + random.Next(3), Condition.Classes(random.Next(3)));
        if (random.Next(2) == 0) pipeline = pipeline.WithGuidance(Guide.ClassifierFree(Scales[random.Next(Scales.Length)]));
        if (kind == 3) pipeline = pipeline.Inpaint(zeros(1, 3, 8, 8), random.Next(2) == 0 ? ones(1, 1, 8, 8) : full(1, 1, 8, 8, double.NaN));
        return pipeline.Run(n);
    }

    private static Tensor WithValue(double value, int channels = 3)
    {
        var t = zeros(1, channels, 8, 8);
        t[0, 0, 3, 3] = value;
        return t;
    }

    private static TextCondition Text() => Condition.Text(zeros(1, 4, 32));

    private static DeepFloydModel Stage(string configSeed)
    {
        var config = IFUNetConfig.Load(Path.Combine(AppContext.BaseDirectory, "Seeds", configSeed));
        var scheduler = DdpmSchedulerConfig.Load(Path.Combine(AppContext.BaseDirectory, "Seeds", "scheduler_config.json"));
        var unet = new IFUNet(config, new WeightAllocation(CPU, ScalarType.Float32));
        // The UNet is built uninitialised (loading fills it); a random one needs real values, not leftover memory.
        using (no_grad())
        {
            foreach (var p in unet.parameters()) p.normal_(0, 0.02);
        }
        unet.eval();
        return DeepFloydModel.FromParts(unet, scheduler, config.IsSuperResolution ? scheduler : null);
    }

    /// <summary>Predicts ε = factor · x_t: 0.5 is a tame model, NaN a broken one, 1e38 one that overflows float32.</summary>
    private sealed class Scaled(double factor) : INoisePredictor
    {
        public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition) => new(sample * factor);
    }
}
