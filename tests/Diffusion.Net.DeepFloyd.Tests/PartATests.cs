using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.PartA;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.Imaging;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Techniques;
using Diffusion.Net.Testing;
using Diffusion.Net.Views;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>Every CS180 Part A chain runs on the tiny DeepFloyd fixture model, deterministically per seed.</summary>
public sealed class PartATests : IDisposable
{
    private readonly TinyPipelineFolder _folder = new();
    private readonly DeepFloydModel _model;
    private readonly PromptEmbeddings _prompts = new();

    public PartATests()
    {
        _model = DeepFloydModel.Load(_folder.Root);
        using var g = new Generator(5, CPU);
        foreach (var p in new[] { "", DeepFloydPartA.GenericPrompt, "an oil painting of an old man", "an oil painting of people around a campfire", "a lithograph of a skull", "a lithograph of waterfalls", "a rocket ship" })
        {
            using var e = randn([1, 9, 32], generator: g);
            _prompts.Add(p, e);
        }
    }

    public void Dispose()
    {
        _model.Dispose();
        _prompts.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void EveryChain_Runs_AndIsDeterministicPerSeed()
    {
        var partA = new DeepFloydPartA(_model, _prompts);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var image = rand(1, 3, 16, 16) * 2 - 1;
        using var mask = Masks.Rectangle(16, 16, 2, 4, 6, 6);
        var chains = new (string Name, Func<DiffusionPipeline> Build)[]
        {
            ("iterative", () => partA.Iterative(partA.Forward(image, 690, 1), 10)),
            ("sample", () => partA.Sample(2, guided: false)),
            ("sample-cfg", () => partA.Sample(2)),
            ("sdedit", () => partA.Sdedit(image, 7)),
            ("img2img", () => partA.Sdedit(image, 5, "a rocket ship")),
            ("inpaint", () => partA.Inpaint(image, mask)),
            ("anagram", () => partA.Anagram("an oil painting of an old man", "an oil painting of people around a campfire")),
            ("hybrid", () => partA.Hybrid("a lithograph of a skull", "a lithograph of waterfalls", 1, kernelSize: 9, sigma: 2)),
        };
        foreach (var (name, build) in chains)
        {
            using var a = build().Run(seed: 3);
            using var b = build().Run(seed: 3);
            using var c = build().Run(seed: 4);
            TensorAssert.BitIdentical(a, b, name);
            TensorAssert.MaxAbsDiff(a, c).Should().BeGreaterThan(1e-4, $"{name}: another seed differs");
            a.isfinite().all().item<bool>().Should().BeTrue(name);
        }
        using var one = partA.OneStep(partA.Forward(image, 500, 2), 500);
        one.shape.Should().Equal(1, 3, 16, 16);
        var series = Sdedit.Series(_model, partA.Schedule, image, partA.Strided, [1, 3, 5, 7, 10, 20], _prompts[DeepFloydPartA.GenericPrompt], partA.Guidance, partA.Sampler, seed: 180);
        series.Select(s => s.Timestep).Should().Equal(960, 900, 840, 780, 690, 390);
        foreach (var s in series) s.Image.Dispose();
    }

    [Fact]
    public void OneAnagramStep_EqualsTheHandComputedCombination()
    {
        var partA = new DeepFloydPartA(_model, _prompts);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(1, 3, 16, 16);
        var t = tensor(new long[] { 690 });
        var p1 = _prompts.Get("an oil painting of an old man");
        var p2 = _prompts.Get("an oil painting of people around a campfire");
        var empty = _prompts.Get("");
        // ε1 = CFG(x, p1); ε2 = flip(CFG(flip(x), p2)); ε = (ε1 + ε2)/2; variance likewise (flipped back) averaged.
        Tensor Cfg(Tensor input, Tensor prompt, out Tensor variance)
        {
            var output = _model.UNet.Forward(cat([input, input], 0), cat([t, t], 0), cat([empty, prompt], 0));
            var parts = output.chunk(2, 0);
            variance = parts[1][.., 3..];
            return parts[0][.., ..3] + (parts[1][.., ..3] - parts[0][.., ..3]) * 7.0;
        }
        var e1 = Cfg(x, p1, out var v1);
        var e2 = Cfg(x.flip(2), p2, out var v2);
        var expectedEps = (e1 + e2.flip(2)) / 2;
        var expectedVar = (v1 + v2.flip(2)) / 2;
        var composition = View.Average((Condition.Text(p1), View.Identity), (Condition.Text(p2), View.FlipVertical));
        using var p = composition.Predict(_model, partA.Guidance, x, new ModelCall(0, 1, _model.Process.At(690)));
        // The composition batches 4 rows where the hand computation batches 2: GEMM blocking differs at the 1e-5 level (CFG ×7 amplifies it).
        TensorAssert.Close(p.Output, expectedEps, 1e-4);
        TensorAssert.Close(p.Variance!, expectedVar, 1e-4);
    }

    [Fact]
    public void OneHybridStep_EqualsTheHandComputedCombination()
    {
        var partA = new DeepFloydPartA(_model, _prompts);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(1, 3, 16, 16);
        var t = tensor(new long[] { 390 });
        var far = _prompts.Get("a lithograph of a skull");
        var near = _prompts.Get("a lithograph of waterfalls");
        var empty = _prompts.Get("");
        Tensor Cfg(Tensor prompt)
        {
            var parts = _model.UNet.Forward(cat([x, x], 0), cat([t, t], 0), cat([empty, prompt], 0)).chunk(2, 0);
            return parts[0][.., ..3] + (parts[1][.., ..3] - parts[0][.., ..3]) * 7.0;
        }
        var e1 = Cfg(far);
        var e2 = Cfg(near);
        var expected = GaussianBlur.Apply(e1, 9, 2) + (e2 - GaussianBlur.Apply(e2, 9, 2));
        using var p = View.Hybrid(Condition.Text(far), Condition.Text(near), 9, 2).Predict(_model, partA.Guidance, x, new ModelCall(0, 1, _model.Process.At(390)));
        TensorAssert.Close(p.Output, expected, 1e-4);
    }

    [Fact]
    public void MissingPrompts_AreNamed()
    {
        using var sparse = new PromptEmbeddings();
        using var e = zeros(1, 9, 32);
        sparse.Add("", e);
        FluentActions.Invoking(() => new DeepFloydPartA(_model, sparse)).Should().Throw<ArgumentException>().WithMessage("*\"a high quality photo\"*");
    }
}
