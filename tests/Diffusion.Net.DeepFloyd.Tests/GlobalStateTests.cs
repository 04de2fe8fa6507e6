using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.PartA;
using Diffusion.Net.DeepFloyd.Pipelines;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Prediction;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>Tests that read process-wide torch state; run alone so no other test draws from the global generator meanwhile.</summary>
[CollectionDefinition(nameof(GlobalTorchState), DisableParallelization = true)]
public sealed class GlobalTorchState;

/// <summary>Server use: loading and running the IF pipelines leaves torch's global generator as it was.</summary>
[Collection(nameof(GlobalTorchState))]
public class GlobalStateTests
{
    [Fact]
    public void LoadingAndRunning_DoNotTouchTheGlobalGenerator()
    {
        using var scope = NewDisposeScope();
        using var before = random.get_rng_state();
        using (var folder1 = new TinyPipelineFolder(withTextEncoder: true))
        using (var folder2 = new TinyPipelineFolder(stage2: true))
        using (var stage1 = DeepFloydModel.Load(folder1.Root, DeepFloydOptions.Float32 with { LoadTextEncoder = true }))
        using (var stage2 = DeepFloydModel.Load(folder2.Root))
        {
            using var low = new IFPipeline(stage1).Generate("a rocket ship", options: new IFGenerationOptions { Steps = 2, Seed = 1 });
            using var high = new IFSuperResolutionPipeline(stage2, new IFPromptEncoder(stage1)).Upscale(low.Sample, "a rocket ship", options: new IFSuperResolutionOptions { Steps = 2, Seed = 2 });
            using var partA = new DeepFloydPartA(stage1);
            using var noisy = partA.Forward(low.Sample, partA.Strided[32], seed: 3);
            using var edited = partA.Iterative(noisy, 32).Run(seed: 4);
        }
        using var after = random.get_rng_state();
        TensorAssert.BitIdentical(after, before);

        // The check can fail: one draw from the global generator moves its state.
        using (randn(1)) { }
        using var moved = random.get_rng_state();
        moved.eq(before).all().item<bool>().Should().BeFalse();
    }
}
