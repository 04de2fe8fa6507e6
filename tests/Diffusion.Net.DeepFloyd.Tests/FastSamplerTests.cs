using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Pipelines;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// The IF stages with DPM-Solver++(2M), as diffusers users run them (<c>DPMSolverMultistepScheduler.from_config</c>):
/// the config's dynamic thresholding carries over, the ε half of the 6-channel output is what the solver reads, and a
/// seed fixes the result. The sampler's own arithmetic is checked against diffusers in the core's trajectory tests.
/// </summary>
public class FastSamplerTests
{
    private static Tensor Embeddings(long seed, long batch)
    {
        using var g = new Generator((ulong)seed, CPU);
        return randn([batch, 9, 32], generator: g);
    }

    /// <summary>DPM-Solver++(2M) from the stage's config; without <paramref name="limits"/>, x̂0 is neither thresholded nor clipped.</summary>
    private static DpmSolverSampler DpmFromConfig(DeepFloydModel model, bool limits = true)
        => new(limits ? model.SchedulerConfig.Configure(new DpmSolverOptions()) : model.SchedulerConfig.Configure(new DpmSolverOptions()) with { Thresholding = false, ClipSample = false });

    [Fact]
    public void Configure_CarriesTheSchedulerConfigsThresholdingAndSpacing_AsFromConfig()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        var options = model.SchedulerConfig.Configure(new DpmSolverOptions());
        options.Thresholding.Should().BeTrue();
        options.ThresholdingRatio.Should().Be(0.95);
        options.SampleMaxValue.Should().Be(1.5);
        options.Spacing.Should().Be(TimestepSpacing.Leading);
        // diffusers' DPM-Solver leading grid for 20 steps: multiples of 1000 // 21 = 47, from 20·47 down to 47.
        new DpmSolverSampler(options).CreateSchedule(model.Process, 20).Timesteps.Should().Equal(Enumerable.Range(1, 20).Reverse().Select(i => i * 47.0));
    }

    [Fact]
    public void StageI_WithDpmSolverPlusPlus_IsDeterministicPerSeed_AndThresholdsEveryX0()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        var prompts = Condition.Text(Embeddings(1, 2));
        var negative = Condition.Text(Embeddings(2, 1));
        var pipeline = new IFPipeline(model);
        IFGenerationOptions Options(long seed, bool limits) => new() { Steps = 20, Seed = seed, CaptureEvery = 1, Sampler = DpmFromConfig(model, limits) };

        var reports = new List<DiffusionProgress>();
        using var a = pipeline.Generate(prompts, negative, Options(5, true), new SynchronousProgress(reports.Add));
        using var b = pipeline.Generate(prompts, negative, Options(5, true));
        using var c = pipeline.Generate(prompts, negative, Options(6, true));
        a.Sample.shape.Should().Equal(2, 3, 16, 16);
        TensorAssert.BitIdentical(a.Sample, b.Sample, "the same seed");
        TensorAssert.MaxAbsDiff(a.Sample, c.Sample).Should().BeGreaterThan(1e-3, "another seed");
        reports.Should().HaveCount(20);
        reports[^1].ModelCalls.Should().Be(20, "one batched CFG call per step");

        // Dynamic thresholding maps x̂0 into [−1, 1] at every step; the tiny random UNet's raw x̂0 leaves it.
        a.Trajectory.Should().HaveCount(20);
        a.Trajectory.Max(f => f.PredictedOriginal.abs().max().item<float>()).Should().BeLessThanOrEqualTo(1f + 1e-6f);
        using var raw = pipeline.Generate(prompts, negative, Options(5, false));
        raw.Trajectory.Max(f => f.PredictedOriginal.abs().max().item<float>()).Should().BeGreaterThan(1.05f);
    }

    [Fact]
    public void StageI_DpmSolverReadsTheEpsilonHalf_TheVarianceChannelsChangeNothing()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        var prompts = Condition.Text(Embeddings(3, 1));
        var negative = Condition.Text(Embeddings(4, 1));
        var sampler = DpmFromConfig(model);
        using var withVariance = new IFPipeline(model).Generate(prompts, negative, new IFGenerationOptions { Steps = 8, Seed = 9, Sampler = sampler });

        var epsilonOnly = new EpsilonHalf(model);
        using var noise = randn([1, 3, 16, 16], generator: new Generator(9, CPU));
        using var manual = DiffusionPipeline.FromNoise(noise)
            .Denoise(epsilonOnly, model.Process, 8, prompts)
            .WithGuidance(Guidance.Guide.ClassifierFree(7, negative))
            .WithSampler(sampler)
            .Run(seed: 9);
        epsilonOnly.Calls.Should().Be(8);
        TensorAssert.BitIdentical(withVariance.Sample, manual, "the variance channels are dropped by the solver");
    }

    [Fact]
    public void StageII_WithDpmSolverPlusPlus_IsDeterministicPerSeed_AndStaysInRange()
    {
        using var folder = new TinyPipelineFolder(stage2: true);
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        var prompts = Condition.Text(Embeddings(3, 1));
        var negative = Condition.Text(Embeddings(4, 1));
        using var low = rand(1, 3, 8, 8) * 2 - 1;
        var sr = new IFSuperResolutionPipeline(model);
        IFSuperResolutionOptions Options(long seed) => new() { Steps = 20, Seed = seed, Sampler = DpmFromConfig(model) };
        using var a = sr.Upscale(low, prompts, negative, Options(7));
        using var b = sr.Upscale(low, prompts, negative, Options(7));
        using var c = sr.Upscale(low, prompts, negative, Options(8));
        a.Sample.shape.Should().Equal(1, 3, 32, 32);
        TensorAssert.BitIdentical(a.Sample, b.Sample);
        TensorAssert.MaxAbsDiff(a.Sample, c.Sample).Should().BeGreaterThan(1e-3);
        // Stage II thresholds at sample_max_value 1.0 and the last step returns x̂0: the image is within [−1, 1].
        a.Sample.abs().max().item<float>().Should().BeLessThanOrEqualTo(1f + 1e-6f);
    }

    /// <summary>The stage I model without its variance channels.</summary>
    private sealed class EpsilonHalf(DeepFloydModel model) : INoisePredictor
    {
        public int Calls { get; private set; }

        public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
        {
            Calls++;
            using var full = model.Predict(sample, timesteps, condition);
            full.Variance.Should().NotBeNull("IF predicts learned-range variance channels");
            return new ModelPrediction(full.Output.clone());
        }
    }

    private sealed class SynchronousProgress(Action<DiffusionProgress> report) : IProgress<DiffusionProgress>
    {
        public void Report(DiffusionProgress value) => report(value);
    }
}
