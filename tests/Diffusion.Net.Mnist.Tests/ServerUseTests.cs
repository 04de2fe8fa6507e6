using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Evaluation;
using Diffusion.Net.Mnist.Hosting;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

/// <summary>
/// Runs alone: the global generator is process state, and other test classes (running in parallel otherwise) draw
/// from it through bare TorchSharp layers and unseeded tensors.
/// </summary>
[CollectionDefinition(nameof(GlobalGeneratorCollection), DisableParallelization = true)]
public sealed class GlobalGeneratorCollection;

/// <summary>No global side effects: building, evaluating and sampling leave torch's global generator alone.</summary>
[Collection(nameof(GlobalGeneratorCollection))]
public class ServerUseTests
{
    private static readonly MnistRecipe Tiny = MnistRecipes.ClassConditioned with { Name = "tiny", Hidden = 4 };

    private static byte[] GlobalState()
    {
        using var state = get_rng_state();
        return state.bytes.ToArray();
    }

    [Fact]
    public void CreateModel_LeavesTheGlobalGenerator_AsItWas()
    {
        random.manual_seed(12345);
        var before = GlobalState();
        using (var model = MnistTraining.CreateModel(Tiny)) model.ParameterCount.Should().BeGreaterThan(0);
        using (var denoiser = MnistTraining.CreateModel(MnistRecipes.QuickDenoiser)) { }
        GlobalState().Should().Equal(before);
        // The control: a bare TorchSharp layer does draw from it, so the check above can fail.
        using (var layer = nn.Linear(8, 8)) { }
        GlobalState().Should().NotEqual(before);
    }

    [Fact]
    public void CreateModel_IsDeterministic_WhateverTheGlobalGeneratorHolds()
    {
        random.manual_seed(1);
        using var a = MnistTraining.CreateModel(Tiny);
        random.manual_seed(2);
        using var b = MnistTraining.CreateModel(Tiny);
        using var c = MnistTraining.CreateModel(Tiny with { Training = Tiny.Training with { Seed = Tiny.Training.Seed + 1 } });
        var pa = a.parameters().ToList();
        var pb = b.parameters().ToList();
        pa.Zip(pb).Should().OnlyContain(p => p.First.equal(p.Second).all().item<bool>());
        a.parameters().Zip(c.parameters()).Any(p => !p.First.equal(p.Second).all().item<bool>()).Should().BeTrue("another seed gives other weights");
    }

    [Fact]
    public void CreateModel_DrawsPyTorchsDefaultInitialisation()
    {
        using var model = MnistTraining.CreateModel(MnistRecipes.ClassConditioned);
        var first = model.named_parameters().First(p => p.name.EndsWith("conv.weight", StringComparison.Ordinal)).parameter;
        double bound = 1 / Math.Sqrt(first.shape[1] * first.shape[2] * first.shape[3]);
        first.abs().max().item<float>().Should().BeLessThanOrEqualTo((float)bound).And.BeGreaterThan((float)(0.9 * bound));
        model.named_parameters().Where(p => p.name.EndsWith("norm.weight", StringComparison.Ordinal))
            .Should().OnlyContain(p => p.parameter.eq(1).all().item<bool>(), "BatchNorm starts at weight 1");
    }

    [Fact]
    public async Task Evaluation_LeavesTheGlobalGenerator_AsItWas()
    {
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        random.manual_seed(777);
        var before = GlobalState();
        var evaluator = MnistEvaluator.LoadShipped(test);
        using var images = test.Images(0, 20);
        var labels = Enumerable.Range(0, 20).Select(test.Label).ToArray();
        var quality = evaluator.Evaluate(images, labels, seed: 5);
        quality.ClassAgreement.Should().BeGreaterThan(0.9);
        GlobalState().Should().Equal(before);
    }

    [Fact]
    public async Task Evaluation_ValidatesLabels_BeforeMeasuring()
    {
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        var evaluator = MnistEvaluator.LoadShipped(test);
        using var images = test.Images(0, 3);
        FluentActions.Invoking(() => evaluator.Evaluate(images, [1, 2, 10])).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("*Label 2 is 10*digits 0 … 9*").Which.ParamName.Should().Be("requested");
        using var wrong = zeros(3, 1, 14, 14);
        FluentActions.Invoking(() => evaluator.Evaluate(wrong, [1, 2, 3])).Should().Throw<ArgumentException>().WithMessage("*[N, 1, 28, 28]*");
    }

    [Fact]
    public void ALabelBeyondTheClasses_FailsAtValidation_BeforeAnyModelCall()
    {
        using var unet = (ClassConditionalUNet)MnistTraining.CreateModel(Tiny);
        var pipeline = DiffusionPipeline.FromNoise(2, 1, 28, 28).Denoise(unet, Timesteps.All(300), Condition.Classes(3, 12));
        FluentActions.Invoking(() => pipeline.Validate()).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Label 12 is outside*10 classes*entry 1*");
        int calls = 0;
        var progress = new SynchronousProgress(() => calls++);
        FluentActions.Invoking(() => pipeline.Run(new DiffusionRunOptions(), progress)).Should().Throw<ArgumentOutOfRangeException>();
        calls.Should().Be(0);
        using var time = (TimeConditionalUNet)MnistTraining.CreateModel(MnistRecipes.QuickTimeConditioned with { Hidden = 4 });
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 28, 28).Denoise(time, 5, Condition.Classes(3)).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*takes no condition*");
    }

    [Fact]
    public void ModelsMadeThroughDI_HaveTheConfiguredDType_OnTheConfiguredDevice()
    {
        var services = new ServiceCollection();
        services.AddDiffusion(o => o.DType = "bfloat16").AddMnist();
        using var provider = services.BuildServiceProvider();
        var models = provider.GetRequiredService<MnistModelProvider>();
        using var unet = (ClassConditionalUNet)models.Create(Tiny);
        unet.parameters().Should().OnlyContain(p => p.dtype == ScalarType.BFloat16 && p.device_type == TorchSharp.DeviceType.CPU);
        var options = models.CreateRunOptions(seed: 3);
        options.DType.Should().Be(ScalarType.Float32, "a bfloat16 UNet serves a float32 sampling state");
        options.Seed.Should().Be(3);
        using var sample = MnistSampling.ClassConditioned(unet, [1, 2], sampler: MnistSampler.DpmSolverPlusPlus(2)).Run(options);
        sample.Sample.dtype.Should().Be(ScalarType.Float32);

        var float64 = new ServiceCollection();
        float64.AddDiffusion(o => o.DType = "float64").AddMnist();
        using var provider64 = float64.BuildServiceProvider();
        var models64 = provider64.GetRequiredService<MnistModelProvider>();
        using var unet64 = models64.Create(Tiny);
        unet64.parameters().Should().OnlyContain(p => p.dtype == ScalarType.Float64);
        models64.CreateRunOptions().DType.Should().Be(ScalarType.Float64);
    }

    [Fact]
    public void ModelsLoadedThroughDI_HaveTheConfiguredDType()
    {
        var dir = Directory.CreateTempSubdirectory("dn-di").FullName;
        try
        {
            var path = Path.Combine(dir, "m.safetensors");
            using (var trained = MnistTraining.CreateModel(Tiny))
                Diffusion.Net.IO.ModuleWeights.Save(trained, path, new Dictionary<string, string> { ["format"] = "pt" });
            var services = new ServiceCollection();
            services.AddDiffusion(o => o.DType = "bfloat16").AddMnist();
            using var provider = services.BuildServiceProvider();
            using var loaded = provider.GetRequiredService<MnistModelProvider>().Load(Tiny, path);
            loaded.parameters().Should().OnlyContain(p => p.dtype == ScalarType.BFloat16);
            loaded.training.Should().BeFalse();
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private sealed class SynchronousProgress(Action onReport) : IProgress<DiffusionProgress>
    {
        public void Report(DiffusionProgress value) => onReport();
    }
}
