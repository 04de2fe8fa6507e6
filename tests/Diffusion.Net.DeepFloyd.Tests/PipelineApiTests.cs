using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.PartA;
using Diffusion.Net.DeepFloyd.Pipelines;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// The adoption surface of the IF pipelines: prompt strings, a wrapped model, stage II's Build / noise source /
/// trajectory / images per prompt, and validation before any model call.
/// </summary>
public class PipelineApiTests
{
    private static TextCondition Random(long seed, long batch, long length = 9, long width = 32)
    {
        using var g = new Generator((ulong)seed, CPU);
        return Condition.Text(randn([batch, length, width], generator: g));
    }

    [Fact]
    public void StageI_PromptStrings_GoThroughT5_AndMatchTheEmbeddingsPath_BitForBit()
    {
        using var folder = new TinyPipelineFolder(withTextEncoder: true);
        using var model = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32 with { LoadTextEncoder = true });
        using var scope = NewDisposeScope();
        var pipeline = new IFPipeline(model);
        var options = new IFGenerationOptions { Steps = 3, ImagesPerPrompt = 2, Seed = 11 };
        using var fromStrings = pipeline.Generate(["a rocket ship", "an oil painting"], "blurry", options);
        var prompts = Condition.Text(model.TextEncoder!.Encode(["a rocket ship", "an oil painting"]));
        var negative = Condition.Text(model.TextEncoder.Encode(["blurry"]));
        using var fromEmbeddings = pipeline.Generate(prompts, negative, options);
        fromStrings.Sample.shape.Should().Equal(4, 3, 16, 16);
        TensorAssert.BitIdentical(fromStrings.Sample, fromEmbeddings.Sample);

        using var single = pipeline.Generate("a rocket ship", options: options with { ImagesPerPrompt = 1 });
        using var singleByHand = pipeline.Generate(Condition.Text(model.TextEncoder.Encode(["a rocket ship"])), Condition.Text(model.TextEncoder.Encode([""])), options with { ImagesPerPrompt = 1 });
        TensorAssert.BitIdentical(single.Sample, singleByHand.Sample);
    }

    [Fact]
    public void PromptStrings_WithoutAnEncoder_FailBeforeAnyModelCall_NamingTheOptions()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        var counting = new CountingModel(model);
        FluentActions.Invoking(() => new IFPipeline(counting).Generate("a rocket ship")).Should().Throw<NotSupportedException>()
            .WithMessage("*LoadTextEncoder*EmbeddingsPath*");
        FluentActions.Invoking(() => new IFPipeline(counting).Build(["a rocket ship"])).Should().Throw<NotSupportedException>();
        counting.Calls.Should().Be(0);
    }

    [Fact]
    public void StageI_WithAStore_TakesPromptStrings()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        using var store = new PromptEmbeddings();
        store.Add("", Random(1, 1).Embeddings);
        store.Add("a rocket ship", Random(2, 1).Embeddings);
        var pipeline = new IFPipeline(model, new IFPromptEncoder(model, store));
        var options = new IFGenerationOptions { Steps = 2, Seed = 3 };
        using var a = pipeline.Generate("a rocket ship", options: options);
        using var b = pipeline.Generate(store["a rocket ship"], store[""], options);
        TensorAssert.BitIdentical(a.Sample, b.Sample);
        FluentActions.Invoking(() => pipeline.Generate("a cat", options: options)).Should().Throw<NotSupportedException>().WithMessage("*\"a cat\"*not in the prompt-embedding store*");
    }

    [Fact]
    public void AWrappedModel_RunsTheSamePipelines_AndSeesEveryCall()
    {
        using var folder1 = new TinyPipelineFolder();
        using var folder2 = new TinyPipelineFolder(stage2: true);
        using var stage1 = DeepFloydModel.Load(folder1.Root);
        using var stage2 = DeepFloydModel.Load(folder2.Root);
        using var scope = NewDisposeScope();
        var counting1 = new CountingModel(stage1);
        var counting2 = new CountingModel(stage2);
        var options = new IFGenerationOptions { Steps = 3, Seed = 5, ImagesPerPrompt = 2 };

        using var direct = new IFPipeline(stage1).Generate(Random(1, 1), Random(2, 1), options);
        using var wrapped = new IFPipeline(counting1).Generate(Random(1, 1), Random(2, 1), options);
        TensorAssert.BitIdentical(wrapped.Sample, direct.Sample);
        counting1.Calls.Should().Be(3, "one batched CFG call per step");
        counting1.Rows.Should().Be(3 * 4, "[negative; positive] for two images");

        var low = direct.Sample.clamp(-1, 1);
        var sr = new IFSuperResolutionOptions { Steps = 2, Seed = 6 };
        using var up = new IFSuperResolutionPipeline(stage2).Upscale(low, Random(1, 1), Random(2, 1), sr);
        using var upWrapped = new IFSuperResolutionPipeline(counting2).Upscale(low, Random(1, 1), Random(2, 1), sr);
        TensorAssert.BitIdentical(upWrapped.Sample, up.Sample);
        counting2.Calls.Should().Be(2);

        using var store = new PromptEmbeddings();
        store.Add("", Random(1, 1).Embeddings);
        store.Add(DeepFloydPartA.GenericPrompt, Random(2, 1).Embeddings);
        using var partA = new DeepFloydPartA(counting1, store);
        using var noisy = partA.Forward(low, partA.Strided[30], seed: 1);
        using var denoised = partA.Iterative(noisy, 30).Run(seed: 0);
        counting1.Calls.Should().Be(3 + partA.Strided.From(30).Count - 1, "Part A's loop stops at 0");
        counting1.Invoking(m => ((INoisePredictor)m).ValidateSample([1, 4, 16, 16])).Should().Throw<ArgumentException>("the decorator forwards the stage's checks");
    }

    [Fact]
    public void StageI_ValidatesEmbeddingsAndNegatives_BeforeTheRun()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        var counting = new CountingModel(model);
        using var scope = NewDisposeScope();
        var pipeline = new IFPipeline(counting);
        FluentActions.Invoking(() => pipeline.Generate(Random(1, 1, width: 16), Random(2, 1))).Should().Throw<ArgumentException>()
            .WithMessage("*prompts embeddings are [1, 9, 16]*[N, L, 32]*").Which.ParamName.Should().Be("prompts");
        FluentActions.Invoking(() => pipeline.Generate(Random(1, 2), Random(2, 3))).Should().Throw<ArgumentException>()
            .WithMessage("*3 negative prompts for 2 prompts*").Which.ParamName.Should().Be("negative");
        FluentActions.Invoking(() => pipeline.Generate(Random(1, 1), Random(2, 1), new IFGenerationOptions { Size = 15 })).Should().Throw<ArgumentException>()
            .WithMessage("*multiples*");
        counting.Calls.Should().Be(0);

        // One negative per prompt is repeated with the prompt's images, as diffusers does.
        var options = new IFGenerationOptions { Steps = 2, ImagesPerPrompt = 2, Seed = 1 };
        var negatives = Random(3, 2);
        using var perPrompt = pipeline.Generate(Random(1, 2), negatives, options);
        perPrompt.Sample.shape.Should().Equal(4, 3, 16, 16);
        // Same prompts repeated by hand ([p0, p0, p1, p1]) and run with one image each give the same images.
        using var expanded = pipeline.Generate(Condition.Text(Random(1, 2).Embeddings.repeat_interleave(2, 0)), Condition.Text(negatives.Embeddings.repeat_interleave(2, 0)), options with { ImagesPerPrompt = 1 });
        TensorAssert.BitIdentical(perPrompt.Sample, expanded.Sample);
    }

    [Fact]
    public void StageI_ACallersNoiseSource_ReplacesTheSeed_AndRunsOnTheModelsDevice()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        var pipeline = new IFPipeline(model);
        using var seeded = pipeline.Generate(Random(1, 1), Random(2, 1), new IFGenerationOptions { Steps = 2, Seed = 21 });
        using var generator = new Generator(21, CPU);
        using var sourced = pipeline.Generate(Random(1, 1), Random(2, 1), new IFGenerationOptions { Steps = 2, Seed = 999, NoiseSource = new GeneratorNoiseSource(generator) });
        TensorAssert.BitIdentical(sourced.Sample, seeded.Sample);
        pipeline.RunOptions().Device.Should().Be(model.Device);
        using var captured = pipeline.Generate(Random(1, 1), Random(2, 1), new IFGenerationOptions { Steps = 4, Seed = 21, CaptureEvery = 2 });
        captured.Trajectory.Should().HaveCount(2);
    }

    [Fact]
    public void StageII_Build_WithANoiseSource_ReproducesUpscale_AndCapturesItsTrajectory()
    {
        using var folder = new TinyPipelineFolder(stage2: true);
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        using var low = rand(1, 3, 8, 8, generator: new Generator(3, CPU)) * 2 - 1;
        var sr = new IFSuperResolutionPipeline(model);
        var options = new IFSuperResolutionOptions { Steps = 3, Seed = 7 };
        using var upscaled = sr.Upscale(low, Random(1, 1), Random(2, 1), options);

        using var generator = new Generator(7, CPU);
        var withSource = options with { NoiseSource = new GeneratorNoiseSource(generator), Seed = 12345, CaptureEvery = 1 };
        var built = sr.Build(low, Random(1, 1), Random(2, 1), withSource);
        built.TotalDenoisingSteps.Should().Be(3);
        using var run = built.Run(sr.RunOptions(withSource));
        TensorAssert.BitIdentical(run.Sample, upscaled.Sample);
        run.Trajectory.Should().HaveCount(3);
        run.Trajectory[^1].PredictedOriginal.shape.Should().Equal(1, 3, 32, 32);

        // Without a noise source, Build draws x and the image's noise from the seed; the run draws the steps.
        using var again = sr.Build(low, Random(1, 1), Random(2, 1), options).Run(sr.RunOptions(options));
        again.Sample.shape.Should().Equal(1, 3, 32, 32);
        TensorAssert.BitIdentical(sr.Build(low, Random(1, 1), Random(2, 1), options).Run(sr.RunOptions(options)).Sample, again.Sample);
    }

    [Fact]
    public void StageII_ImagesPerPrompt_RepeatsEachImage_Consecutively()
    {
        using var folder = new TinyPipelineFolder(stage2: true);
        using var model = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        using var low = rand(2, 3, 8, 8, generator: new Generator(4, CPU)) * 2 - 1;
        var sr = new IFSuperResolutionPipeline(model);
        var options = new IFSuperResolutionOptions { Steps = 2, Seed = 9, ImagesPerPrompt = 2 };
        using var two = sr.Upscale(low, Random(1, 2), Random(2, 1), options);
        two.Sample.shape.Should().Equal(4, 3, 32, 32);
        using var byHand = sr.Upscale(low.repeat_interleave(2, 0), Condition.Text(Random(1, 2).Embeddings.repeat_interleave(2, 0)), Random(2, 1), options with { ImagesPerPrompt = 1 });
        TensorAssert.BitIdentical(two.Sample, byHand.Sample);
        FluentActions.Invoking(() => sr.Upscale(low, Random(1, 3), Random(2, 1), options)).Should().Throw<ArgumentException>().WithMessage("*3 prompts for 2 images*");
    }

    [Fact]
    public void StageII_PromptStrings_UseTheGivenEncoder()
    {
        using var folder = new TinyPipelineFolder(stage2: true, withTextEncoder: true);
        using var model = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32 with { LoadTextEncoder = true });
        using var bare = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        using var low = rand(1, 3, 8, 8, generator: new Generator(3, CPU)) * 2 - 1;
        var options = new IFSuperResolutionOptions { Steps = 2, Seed = 1 };
        using var fromStrings = new IFSuperResolutionPipeline(model).Upscale(low, "a rocket ship", options: options);
        using var fromEmbeddings = new IFSuperResolutionPipeline(model).Upscale(low, Condition.Text(model.TextEncoder!.Encode(["a rocket ship"])), Condition.Text(model.TextEncoder.Encode([""])), options);
        TensorAssert.BitIdentical(fromStrings.Sample, fromEmbeddings.Sample);
        // A stage without T5 borrows another stage's encoder, so T5 is held once.
        using var borrowed = new IFSuperResolutionPipeline(bare, new IFPromptEncoder(model)).Upscale(low, "a rocket ship", options: options);
        TensorAssert.BitIdentical(borrowed.Sample, fromStrings.Sample);
        FluentActions.Invoking(() => new IFSuperResolutionPipeline(bare).Upscale(low, "a rocket ship")).Should().Throw<NotSupportedException>().WithMessage("*LoadTextEncoder*");
    }

    [Fact]
    public void PartA_WithT5Loaded_NeedsNoStore()
    {
        using var folder = new TinyPipelineFolder(withTextEncoder: true);
        using var model = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32 with { LoadTextEncoder = true });
        using var bare = DeepFloydModel.Load(folder.Root);
        using var scope = NewDisposeScope();
        using var partA = new DeepFloydPartA(model);
        TensorAssert.BitIdentical(partA.PromptCondition("a rocket ship").Embeddings, model.TextEncoder!.Encode(["a rocket ship"]));
        partA.PromptCondition("a rocket ship").Should().NotBeNull();
        partA.Prompts.Prompts.Should().BeEquivalentTo("", DeepFloydPartA.GenericPrompt, "a rocket ship");
        using var sample = partA.Sdedit(rand(1, 3, 16, 16) * 2 - 1, 30, "a rocket ship").Run(seed: 1);
        sample.shape.Should().Equal(1, 3, 16, 16);
        FluentActions.Invoking(() => new DeepFloydPartA(bare)).Should().Throw<NotSupportedException>().WithMessage("*LoadTextEncoder*");
    }
}
