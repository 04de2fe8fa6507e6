using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Testing;
using FluentAssertions;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

/// <summary>
/// The eval-mode forward folds each BatchNorm into its convolution: it must compute the conv → BatchNorm → GELU
/// network it replaces, with whatever weights the model holds at the time of the call, and leave training alone.
/// </summary>
public sealed class BatchNormFoldingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-mnist-fold").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void FoldedEvalForward_EqualsConvThenBatchNorm_InFloat32_AndLeavesItsInputAlone(bool channelsLast)
    {
        using var model = Model(seed: 1);
        model.ChannelsLast = channelsLast;
        model.eval();
        using var scope = NewDisposeScope();
        var (x, c, t) = Inputs(4);
        var before = x.clone();
        using var noGrad = no_grad();
        var folded = Forward(model, x, c, t, fold: true);
        var unfolded = Forward(model, x, c, t, fold: false);
        TensorAssert.BitIdentical(x, before, "GELU overwrites only the block's own convolution output");
        folded.is_contiguous().Should().BeTrue();
        double scale = MaxAbs(unfolded);
        // The same arithmetic regrouped: float32 rounding apart (here 1e-6 of max |out|; a wrong fold is off by 1e-1).
        TensorAssert.Close(folded, unfolded, 1e-5 * scale, 0, $"(channels last = {channelsLast})");
        TensorAssert.MaxAbsDiff(folded, unfolded).Should().BeGreaterThan(0, "the folded path must really be a different computation");
    }

    [Fact]
    public void FoldedEvalForward_InBFloat16_EqualsTheUnfoldedOne_AndTheFloat32Network()
    {
        using var model = Model(seed: 2);
        model.eval();
        using var scope = NewDisposeScope();
        var (x, c, t) = Inputs(4);
        using var noGrad = no_grad();
        var reference = Forward(model, x, c, t, fold: false);
        model.to(ScalarType.BFloat16);
        var xb = x.to(ScalarType.BFloat16);
        var tb = t.to(ScalarType.BFloat16);
        var folded = Forward(model, xb, c, tb, fold: true);
        var unfolded = Forward(model, xb, c, tb, fold: false);
        folded.dtype.Should().Be(ScalarType.BFloat16);
        double scale = MaxAbs(reference);
        // bfloat16 keeps 8 bits of mantissa: here the two differ by 1.1e-2 of max |out|.
        TensorAssert.Close(folded, unfolded, 3e-2 * scale, 0, "folded against unfolded, both bfloat16");
        TensorAssert.Close(folded, reference, 3e-2 * scale, 0, "folded bfloat16 against the float32 network");
    }

    [Fact]
    public void EveryEvalForward_FoldsTheWeightsItHoldsThen_AfterLoading_ATrainingStep_AndDTypeChanges()
    {
        using var model = Model(seed: 3);
        using var other = Model(seed: 4);
        var otherPath = Path.Combine(_dir, "other.safetensors");
        ModuleWeights.Save(other, otherPath);
        using var scope = NewDisposeScope();
        var (x, c, t) = Inputs(8);

        model.eval();
        var first = EvalFoldedMatchesUnfolded(model, x, c, t, 1e-5, "initial weights");

        ModuleWeights.Load(model, otherPath);
        other.eval();
        var loaded = EvalFoldedMatchesUnfolded(model, x, c, t, 1e-5, "after loading other weights");
        TensorAssert.MaxAbsDiff(loaded, first).Should().BeGreaterThan(1e-3, "loaded weights must change the folded result");
        using (no_grad()) TensorAssert.Close(loaded, other.forward(x, c, t), 1e-6, 1e-5, "the loaded model is the other model");

        // One optimiser step in training mode moves the weights and the running statistics.
        model.train();
        using (var adam = optim.Adam(model.parameters(), 1e-2))
        {
            adam.zero_grad();
            model.forward(x, c, t).square().mean().backward();
            adam.step();
        }
        model.eval();
        var stepped = EvalFoldedMatchesUnfolded(model, x, c, t, 1e-5, "after a training step");
        TensorAssert.MaxAbsDiff(stepped, loaded).Should().BeGreaterThan(1e-3, "the step must change the folded result");

        model.to(ScalarType.BFloat16);
        var bf16 = EvalFoldedMatchesUnfolded(model, x.to(ScalarType.BFloat16), c, t.to(ScalarType.BFloat16), 3e-2, "in bfloat16");
        TensorAssert.Close(bf16, stepped, 3e-2 * MaxAbs(stepped), 0, "bfloat16 folds the same weights");
        model.to(ScalarType.Float32);
        EvalFoldedMatchesUnfolded(model, x, c, t, 1e-5, "back in float32");
    }

    [Fact]
    public void TrainingMode_IsUnchanged_OutputGradientsAndRunningStatistics()
    {
        using var folding = Model(seed: 5);
        using var plain = Model(seed: 5);
        Fold(plain, false);
        folding.train();
        plain.train();
        using var scope = NewDisposeScope();
        var (x, c, t) = Inputs(4);
        var yFolding = folding.forward(x, c, t);
        var yPlain = plain.forward(x, c, t);
        TensorAssert.BitIdentical(yFolding, yPlain, "training mode normalises by batch statistics, never folds");
        yFolding.square().mean().backward();
        yPlain.square().mean().backward();
        var plainParameters = plain.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in folding.named_parameters())
            TensorAssert.BitIdentical(p.grad!, plainParameters[name].grad!, $"gradient of {name}");
        var plainState = plain.state_dict();
        foreach (var (name, v) in folding.state_dict())
            TensorAssert.BitIdentical(v, plainState[name], $"{name} after the training forward");
        folding.modules().OfType<BatchNorm2d>().First().num_batches_tracked!.item<long>().Should().Be(1);
    }

    [Fact]
    public void EvalForward_WithAutograd_HasTheUnfoldedGradients_AndChangesNoState()
    {
        using var model = Model(seed: 6);
        model.eval();
        using var scope = NewDisposeScope();
        var (x, c, t) = Inputs(4);
        var stateBefore = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var (yFolded, gradsFolded) = ForwardBackward(true);
        var (yUnfolded, gradsUnfolded) = ForwardBackward(false);
        double scale = MaxAbs(yUnfolded);
        TensorAssert.Close(yFolded, yUnfolded, 1e-5 * scale, 0, "eval output with autograd on");
        using (no_grad())
            TensorAssert.Close(Forward(model, x, c, t, fold: true), yFolded, 1e-6 * scale, 0, "in-place GELU without autograd, out of place with it");
        foreach (var (name, g) in gradsUnfolded)
        {
            double gScale = MaxAbs(g);
            TensorAssert.Close(gradsFolded[name], g, 1e-4 * gScale + 1e-9, 0, $"gradient of {name} (BatchNorm's γ and β included)");
        }
        foreach (var (name, v) in model.state_dict())
            TensorAssert.BitIdentical(v, stateBefore[name], $"{name}: an eval forward writes nothing back");

        (Tensor Output, Dictionary<string, Tensor> Grads) ForwardBackward(bool fold)
        {
            model.zero_grad();
            var y = Forward(model, x, c, t, fold);
            y.square().mean().backward();
            return (y.detach(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
        }
    }

    [Fact]
    public void FoldedBlocks_KeepTheNhwcLayout()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 8, 14, 14);
        foreach (ConvNormGelu block in new ConvNormGelu[] { new Conv(8, 8), new DownConv(8, 8), new UpConv(8, 4) })
        {
            using (block)
            {
                block.eval();
                NhwcLayout.Is(block.forward(x)).Should().BeTrue($"{block.GetType().Name}: the next block must not need a layout copy");
            }
        }
    }

    [Fact]
    public void AFoldingBlock_HoldsExactlyTheStateOfConvAndBatchNorm()
    {
        using var block = new Conv(4, 8);
        block.state_dict().Keys.Should().BeEquivalentTo(
            "conv.weight", "conv.bias", "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked");
        using var up = new UpConv(8, 4);
        up.state_dict().Keys.Should().HaveCount(7);
    }

    /// <summary>A class-conditioned UNet (D = 16) with BatchNorm parameters and statistics away from their defaults.</summary>
    private static ClassConditionalUNet Model(long seed)
    {
        var model = SeededModules.Create(() => new ClassConditionalUNet(1, 16), seed);
        using var generator = new Generator(unchecked((ulong)seed) + 1000, CPU);
        using var noGrad = no_grad();
        foreach (var norm in model.modules().OfType<BatchNorm2d>())
        {
            norm.running_mean!.uniform_(-0.5, 0.5, generator);
            norm.running_var!.uniform_(0.3, 2.0, generator);
            norm.weight.uniform_(0.5, 1.5, generator);
            norm.bias!.uniform_(-0.3, 0.3, generator);
        }
        return model;
    }

    private static (Tensor X, Tensor C, Tensor T) Inputs(long batch)
    {
        using var generator = new Generator(77, CPU);
        var x = randn([batch, 1, 28, 28], generator: generator);
        var c = arange(batch).remainder(11).sub(1);
        var t = rand([batch], generator: generator);
        return (x, c, t);
    }

    private static double MaxAbs(Tensor x)
    {
        using var max = x.abs().max();
        using var wide = max.to(ScalarType.Float64);
        return wide.item<double>();
    }

    private static void Fold(nn.Module model, bool on)
    {
        foreach (var block in model.modules().OfType<ConvNormGelu>()) block.FoldBatchNorm = on;
    }

    private static Tensor Forward(ClassConditionalUNet model, Tensor x, Tensor c, Tensor t, bool fold)
    {
        Fold(model, fold);
        try
        {
            return model.forward(x, c, t);
        }
        finally
        {
            Fold(model, true);
        }
    }

    /// <summary>The folded eval output (no autograd), checked against the unfolded one within <paramref name="relative"/> of max |out|.</summary>
    private static Tensor EvalFoldedMatchesUnfolded(ClassConditionalUNet model, Tensor x, Tensor c, Tensor t, double relative, string because)
    {
        using var noGrad = no_grad();
        var folded = Forward(model, x, c, t, fold: true);
        var unfolded = Forward(model, x, c, t, fold: false);
        TensorAssert.Close(folded, unfolded, relative * MaxAbs(unfolded), 0, because);
        return folded;
    }
}
