using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Pipelines;
using Diffusion.Net.Guidance;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// The IF pipelines follow diffusers' orchestration (ARCHITECTURE §8): the order of the random draws, the CFG batch
/// [negative; positive], guidance on ε only with the conditional variance, every timestep stepped. Each test replays
/// that algorithm by hand with the tiny fixture UNets and compares bit for bit.
/// </summary>
public class PipelineSemanticsTests
{
    private static Tensor Embeddings(long seed, long batch)
    {
        using var g = new Generator((ulong)seed, CPU);
        return randn([batch, 9, 32], generator: g);
    }

    [Fact]
    public void StageI_MatchesAHandWrittenDiffusersLoop_BitForBit()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        var prompts = Embeddings(1, 2);
        var negative = Embeddings(2, 1);
        var options = new IFGenerationOptions { Steps = 4, GuidanceScale = 7, ImagesPerPrompt = 2, Seed = 42 };
        using var result = new IFPipeline(model).Generate(Condition.Text(prompts), Condition.Text(negative), options);

        // diffusers IFPipeline.__call__, by hand.
        using var noGrad = no_grad();
        using var generator = new Generator(42, CPU);
        var noise = new GeneratorNoiseSource(generator);
        var positive = prompts.repeat_interleave(2, 0);                                  // each prompt's images consecutive
        var embeds = cat([negative.expand(4, -1, -1), positive], 0);                     // [negative; positive]
        var x = noise.Next([4, 3, 16, 16], ScalarType.Float32, CPU);                     // first draw
        var timesteps = new[] { 750, 500, 250, 0 };                                      // leading spacing, 4 steps
        for (int i = 0; i < timesteps.Length; i++)
        {
            var output = model.UNet.Forward(cat([x, x], 0), full(8, (long)timesteps[i]), embeds);
            var parts = output.chunk(2, 0);
            var u = parts[0]; var c = parts[1];
            var eps = u[.., ..3] + (c[.., ..3] - u[.., ..3]) * 7.0;
            using var prediction = ModelPrediction.FromModelOutput(cat([eps, c[.., 3..]], 1), 3);
            int previous = i + 1 < timesteps.Length ? timesteps[i + 1] : -1;
            using var step = model.Sampler.Step(model.Schedule, x, prediction, timesteps[i], previous, noise);
            x = step.Next.alias();
        }
        TensorAssert.BitIdentical(result.Sample, x);
    }

    [Fact]
    public void StageII_MatchesAHandWrittenDiffusersLoop_BitForBit()
    {
        using var folder = new TinyPipelineFolder(stage2: true);
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        var prompts = Embeddings(3, 1);
        var negative = Embeddings(4, 1);
        using var low = rand(1, 3, 8, 8) * 2 - 1;
        var options = new IFSuperResolutionOptions { Steps = 3, GuidanceScale = 4, NoiseLevel = 250, Seed = 7 };
        using var result = new IFSuperResolutionPipeline(model).Upscale(low, Condition.Text(prompts), Condition.Text(negative), options);
        result.Sample.shape.Should().Equal(1, 3, 32, 32);

        using var noGrad = no_grad();
        using var generator = new Generator(7, CPU);
        var noise = new GeneratorNoiseSource(generator);
        var x = noise.Next([1, 3, 32, 32], ScalarType.Float32, CPU);                                   // first draw
        var up = nn.functional.interpolate(low, [32, 32], mode: InterpolationMode.Bilinear, align_corners: true);
        var upNoise = noise.Next(up.shape, ScalarType.Float32, CPU);                                    // second draw
        var noised = ForwardProcess.AddNoise(model.ImageNoisingSchedule!, up, upNoise, 250);
        var embeds = cat([negative, prompts], 0);
        var timesteps = new[] { 666, 333, 0 };
        for (int i = 0; i < timesteps.Length; i++)
        {
            var input = cat([cat([x, noised], 1), cat([x, noised], 1)], 0);
            var output = model.UNet.Forward(input, full(2, (long)timesteps[i]), embeds, full(2, 250L));
            var parts = output.chunk(2, 0);
            var eps = parts[0][.., ..3] + (parts[1][.., ..3] - parts[0][.., ..3]) * 4.0;
            using var prediction = ModelPrediction.FromModelOutput(cat([eps, parts[1][.., 3..]], 1), 3);
            using var step = model.Sampler.Step(model.Schedule, x, prediction, timesteps[i], i + 1 < timesteps.Length ? timesteps[i + 1] : -1, noise);
            x = step.Next.alias();
        }
        TensorAssert.BitIdentical(result.Sample, x);
    }

    [Fact]
    public void GuidanceAtOrBelowOne_RunsTheConditionalBranchOnly_AsDiffusers()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        var pipeline = new IFPipeline(model).Build(Condition.Text(Embeddings(1, 1)), Condition.Text(Embeddings(2, 1)), new IFGenerationOptions { Steps = 2, GuidanceScale = 1 });
        pipeline.Settings.Guidance.Should().BeSameAs(Guide.None);
    }
}
