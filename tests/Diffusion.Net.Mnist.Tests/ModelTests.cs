using Diffusion.Net.Guidance;
using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

public sealed class ModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-mnist-model").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void ParameterCounts_MatchTheSpec()
    {
        using var u = new UnconditionalUNet(1, 128);
        using var t = new TimeConditionalUNet(1, 64);
        using var c = new ClassConditionalUNet(1, 64);
        u.ParameterCount.Should().Be(7_891_073);
        t.ParameterCount.Should().Be(1_996_417);
        c.ParameterCount.Should().Be(2_019_201);
    }

    [Fact]
    public void StateDictNames_AreThePyTorchReferenceNames()
    {
        using var c = new ClassConditionalUNet(1, 8);
        var names = c.state_dict().Keys.ToHashSet();
        names.Should().Contain([
            "first_block.conv1.conv.weight", "first_block.conv1.norm.running_mean", "first_block.conv1.norm.num_batches_tracked",
            "down1.down.conv.weight", "down2.block.conv2.norm.bias", "unflatten.conv.weight", "up1.up.conv.weight",
            "up2.block.conv1.conv.bias", "last_block.conv2.norm.weight", "out.weight", "out.bias",
            "fc1_t.fc1.weight", "fc2_t.fc2.bias", "fc1_c.fc1.weight", "fc2_c.fc2.weight"]);
        c.state_dict()["unflatten.conv.weight"].shape.Should().Equal(16, 16, 7, 7);
        c.state_dict()["up1.up.conv.weight"].shape.Should().Equal(new long[] { 32, 8, 4, 4 }, "ConvTranspose2d weights are [in, out, k, k]");
        c.state_dict()["fc1_c.fc1.weight"].shape.Should().Equal(16, 10);
    }

    [Fact]
    public void Weights_RoundTripThroughSafetensors_AndAWrongWidthIsRejectedByName()
    {
        random.manual_seed(1);
        using var a = new ClassConditionalUNet(1, 8);
        var path = Path.Combine(_dir, "m.safetensors");
        ModuleWeights.Save(a, path);
        random.manual_seed(2);
        using var b = new ClassConditionalUNet(1, 8);
        ModuleWeights.Load(b, path);
        foreach (var (name, t) in a.state_dict()) TensorAssert.BitIdentical(b.state_dict()[name], t, name);
        using var wide = new ClassConditionalUNet(1, 16);
        var ex = FluentActions.Invoking(() => ModuleWeights.Load(wide, path)).Should().Throw<WeightsMismatchException>().Which;
        ex.Misshaped.Should().Contain(m => m.StartsWith("first_block.conv1.conv.weight: expected [16, 1, 3, 3] but found [8, 1, 3, 3]"));
        using var time = new TimeConditionalUNet(1, 8);
        FluentActions.Invoking(() => ModuleWeights.Load(time, path)).Should().Throw<WeightsMismatchException>().Which.Unexpected.Should().Contain("fc1_c.fc1.weight");
    }

    [Fact]
    public void Predict_FeedsTheNetworkTOverT_WithTheSpecIndexing()
    {
        random.manual_seed(3);
        using var model = new TimeConditionalUNet(1, 8);
        model.eval();
        using var scope = NewDisposeScope();
        var x = randn(2, 1, 28, 28);
        using var p = model.Predict(x, tensor(new long[] { 0, 299 }), Condition.None);
        var direct = model.forward(x, tensor(new float[] { 1f / 300, 1f }));
        TensorAssert.Close(p.Output, direct, 0);
    }

    [Fact]
    public void Predict_RunsABFloat16NetworkOnAFloat32State_AndAnswersInFloat32()
    {
        random.manual_seed(6);
        using var model = new ClassConditionalUNet(1, 8);
        model.eval();
        model.to(ScalarType.BFloat16);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(3, 1, 28, 28);
        var steps = tensor(new long[] { 0, 150, 299 });
        using var p = model.Predict(x, steps, Condition.Classes(1, 4, 9));
        p.Output.dtype.Should().Be(ScalarType.Float32);
        // Exactly the bfloat16 network's answer on the rounded input, widened: no float32 arithmetic sneaks in.
        using var native = model.Predict(x.to(ScalarType.BFloat16), steps, Condition.Classes(1, 4, 9));
        native.Output.dtype.Should().Be(ScalarType.BFloat16);
        TensorAssert.BitIdentical(p.Output, native.Output.to(ScalarType.Float32));
    }

    [Fact]
    public void ClassConditioning_NullClassEqualsMaskZero_AndEveryEmbeddingIsUsed()
    {
        random.manual_seed(4);
        using var model = new ClassConditionalUNet(1, 8);
        // Training-mode BatchNorm renormalises every layer, so the untrained network's output is not vanishingly small.
        model.train();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn(2, 1, 28, 28);
        var t = tensor(new float[] { 0.3f, 0.7f });
        var nullClass = model.forward(x, tensor(new long[] { -1, -1 }), t);
        var masked = model.forward(x, tensor(new long[] { 3, 5 }), t, mask: zeros(2));
        TensorAssert.Close(nullClass, masked, 0);
        var conditioned = model.forward(x, tensor(new long[] { 3, 5 }), t);
        TensorAssert.MaxAbsDiff(conditioned, nullClass).Should().BeGreaterThan(1e-6);
        // Perturbing each FCBlock changes the output: fc2_t feeds up1 (the spec's "t1" at up1 is a typo for t2).
        foreach (var block in new[] { "fc1_t", "fc2_t", "fc1_c", "fc2_c" })
        {
            var before = model.forward(x, tensor(new long[] { 3, 5 }), t);
            var bias = model.state_dict()[$"{block}.fc2.bias"];
            bias.add_(1f);
            var after = model.forward(x, tensor(new long[] { 3, 5 }), t);
            bias.sub_(1f);
            TensorAssert.MaxAbsDiff(before, after).Should().BeGreaterThan(1e-4, $"{block} is wired into the network");
        }
    }

    [Fact]
    public void BadInputs_AreRejectedWithTypedExceptions()
    {
        using var model = new ClassConditionalUNet(1, 8);
        using var time = new TimeConditionalUNet(1, 8);
        using var scope = NewDisposeScope();
        var x = randn(2, 1, 28, 28);
        var t = tensor(new long[] { 1, 2 });
        FluentActions.Invoking(() => model.Predict(x, t, Condition.Classes(10, 1))).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Label 10*10 classes*");
        FluentActions.Invoking(() => time.Predict(x, t, Condition.Classes(1, 1))).Should().Throw<ArgumentException>().WithMessage("*takes no condition*");
        FluentActions.Invoking(() => model.forward(randn(2, 1, 32, 32), tensor(new long[] { 1, 2 }), tensor(new float[] { 0.1f, 0.2f }))).Should().Throw<ArgumentException>().WithMessage("*[N, 1, 28, 28]*");
        FluentActions.Invoking(() => time.forward(x, tensor(new float[] { 0.1f }))).Should().Throw<ArgumentException>().WithMessage("*time input must be [N] = [2]*");
        FluentActions.Invoking(() => new ClassConditionalUNet(1, 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => MnistRecipes.Get("huge")).Should().Throw<ArgumentException>().WithMessage("*Unknown recipe 'huge'*quick*");
    }

    [Fact]
    public void ClassConditionedSampling_RunsThroughTheCorePipeline_Deterministically()
    {
        random.manual_seed(5);
        using var model = new ClassConditionalUNet(1, 8, schedule: NoiseSchedules.Linear(1e-4, 0.02, 20));
        var digits = MnistSampling.EachDigit(1);
        digits.Should().Equal(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        MnistSampling.EachDigit(2).Take(12).Should().Equal(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1);
        using var a = MnistSampling.ClassConditioned(model, digits).Run(seed: 7);
        using var b = MnistSampling.ClassConditioned(model, digits).Run(seed: 7);
        a.shape.Should().Equal(10, 1, 28, 28);
        TensorAssert.BitIdentical(a, b);
    }

    [Fact]
    public void ClassConditionedSampling_WithAGuidanceIntervalCoveringEveryStep_IsAlgorithmB4()
    {
        random.manual_seed(6);
        using var model = new ClassConditionalUNet(1, 8, schedule: NoiseSchedules.Linear(1e-4, 0.02, 20));
        var digits = MnistSampling.EachDigit(1);
        MnistSampling.LimitedGuidanceInterval.Should().Be((0L, 150L), "the lower half of the T = 300 schedule");
        MnistSampling.ClassConditioned(model, digits, guidanceInterval: (0, 9)).Settings.Guidance
            .Should().BeOfType<IntervalGuidance>().Which.MaxTimestep.Should().Be(9);
        using var b4 = MnistSampling.ClassConditioned(model, digits).Run(seed: 7);
        using var everyStep = MnistSampling.ClassConditioned(model, digits, guidanceInterval: (0, 19)).Run(seed: 7);
        TensorAssert.BitIdentical(everyStep, b4);
    }

    [Fact]
    public void ChannelsLastLayout_ComputesTheSameNetwork_ForwardAndBackward_InBothBatchNormModes()
    {
        random.manual_seed(8);
        using var model = new ClassConditionalUNet(1, 16);
        model.ChannelsLast.Should().BeTrue("NHWC is the default: it is the faster layout on CPU");
        using var scope = NewDisposeScope();
        var x = randn(4, 1, 28, 28);
        var c = tensor(new long[] { 0, 3, -1, 9 });
        var t = tensor(new float[] { 0.1f, 0.4f, 0.7f, 1f });
        foreach (bool training in new[] { true, false })
        {
            model.train(training);
            var (outNchw, gradsNchw) = ForwardBackward(false);
            var (outNhwc, gradsNhwc) = ForwardBackward(true);
            // Same arithmetic in another summation order: float32 rounding apart, nothing else.
            TensorAssert.Close(outNhwc, outNchw, 1e-4, 1e-4, $"output (train = {training})");
            outNhwc.is_contiguous().Should().BeTrue("callers get an ordinary NCHW tensor back");
            foreach (var (name, g) in gradsNchw)
                TensorAssert.Close(gradsNhwc[name], g, 1e-4, 1e-3, $"gradient of {name} (train = {training})");
        }

        (Tensor Output, Dictionary<string, Tensor> Grads) ForwardBackward(bool channelsLast)
        {
            model.ChannelsLast = channelsLast;
            model.zero_grad();
            var y = model.forward(x, c, t);
            y.square().mean().backward();
            return (y.detach(), model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone()));
        }
    }

    [Fact]
    public void ChannelsLastLayout_IsCarriedByTheBlocks_AndItsGeluMatchesThePlainOne()
    {
        random.manual_seed(9);
        using var scope = NewDisposeScope();
        var x = randn(2, 8, 14, 14);
        var nhwc = NhwcLayout.To(x);
        NhwcLayout.Is(nhwc).Should().BeTrue();
        NhwcLayout.Is(x).Should().BeFalse();
        nhwc.stride().Should().Equal(14 * 14 * 8, 1, 14 * 8, 8);
        TensorAssert.BitIdentical(nhwc, x);
        NhwcLayout.To(randn(2, 1, 4, 4)).stride().Should().Equal(new long[] { 16, 16, 4, 1 }, "one channel has no second layout");
        var gelu = NhwcLayout.Gelu(nhwc);
        NhwcLayout.Is(gelu).Should().BeTrue();
        TensorAssert.Close(gelu, nn.functional.gelu(x), 1e-6);

        using var block = new Conv(8, 8);
        NhwcLayout.Is(block.forward(x)).Should().BeTrue();
        using var model = new ClassConditionalUNet(1, 8) { ChannelsLast = false };
        model.modules().OfType<ConvNormGelu>().Should().OnlyContain(b => !b.ChannelsLast, "the network's switch reaches every block");
    }
}
