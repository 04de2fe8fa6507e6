using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.IO;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// The IF UNet's internal layout (channels-last convolution weights and activations, fused attention) never shows
/// outside: outputs come back contiguous, saved weights are the logical values, and bfloat16 with a mask still runs.
/// </summary>
public class UNetLayoutTests
{
    private static IFUNet Load(string folder, ScalarType dtype = ScalarType.Float32)
    {
        var config = IFUNetConfig.Load(Fixtures.Path(folder, "config.json"));
        var unet = new IFUNet(config, new WeightAllocation(CPU, dtype));
        using var weights = SafetensorsFile.Open(Fixtures.Path(folder, "diffusion_pytorch_model.safetensors"));
        ModuleWeights.Load(unet, weights);
        return unet;
    }

    private static bool IsChannelsLast(Tensor w) =>
        w.stride(1) == 1 && w.stride(3) == w.shape[1] && w.stride(2) == w.shape[1] * w.shape[3] && w.stride(0) == w.shape[1] * w.shape[2] * w.shape[3];

    [Fact]
    public void ConvWeightsAreChannelsLast_AndTheOutputIsContiguous()
    {
        using var unet = Load("unet_stage1_tiny");
        var convWeights = unet.named_parameters().Where(p => p.parameter.dim() == 4).ToList();
        convWeights.Should().NotBeEmpty();
        convWeights.Should().OnlyContain(p => IsChannelsLast(p.parameter), "every convolution weight is allocated NHWC-strided");

        using var io = SafetensorsFile.Open(Fixtures.Path("unet_stage1_tiny", "io.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var output = unet.Forward(io.Read("sample"), io.Read("timestep"), io.Read("encoder_hidden_states"));
        output.is_contiguous().Should().BeTrue("callers get the ordinary NCHW layout");
        TensorAssert.Close(output, io.Read("out"), 1e-4, 1e-4, "out");
    }

    [Fact]
    public void SavedWeights_AreTheLogicalValues_AndReloadToTheSameOutput()
    {
        using var unet = Load("unet_stage1_tiny");
        var path = Path.Combine(Path.GetTempPath(), $"if-layout-{Guid.NewGuid():N}.safetensors");
        try
        {
            ModuleWeights.Save(unet, path);
            using var saved = SafetensorsFile.Open(path);
            using var original = SafetensorsFile.Open(Fixtures.Path("unet_stage1_tiny", "diffusion_pytorch_model.safetensors"));
            using var scope = NewDisposeScope();
            foreach (var name in original.Tensors.Keys.Where(k => original.Tensors[k].Shape.Length == 4))
                TensorAssert.BitIdentical(saved.Read(name), original.Read(name), name);

            var config = IFUNetConfig.Load(Fixtures.Path("unet_stage1_tiny", "config.json"));
            using var reloaded = new IFUNet(config);
            ModuleWeights.Load(reloaded, path);
            using var io = SafetensorsFile.Open(Fixtures.Path("unet_stage1_tiny", "io.safetensors"));
            using var noGrad = no_grad();
            var sample = io.Read("sample");
            var timestep = io.Read("timestep");
            var text = io.Read("encoder_hidden_states");
            TensorAssert.BitIdentical(reloaded.Forward(sample, timestep, text), unet.Forward(sample, timestep, text));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("unet_stage1_tiny")]
    [InlineData("unet_stage2_tiny")]
    public void BFloat16_WithAndWithoutMask_StaysWithinBFloat16OfDiffusers(string folder)
    {
        using var unet = Load(folder, ScalarType.BFloat16);
        using var io = SafetensorsFile.Open(Fixtures.Path(folder, "io.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sample = io.Read("sample").to(ScalarType.BFloat16);
        var timestep = io.Read("timestep");
        var text = io.Read("encoder_hidden_states").to(ScalarType.BFloat16);
        var labels = io.Tensors.ContainsKey("class_labels") ? io.Read("class_labels") : null;
        var plain = unet.Forward(sample, timestep, text, labels);
        var masked = unet.Forward(sample, timestep, text, labels, io.Read("encoder_attention_mask"));
        plain.dtype.Should().Be(ScalarType.BFloat16);
        TensorAssert.Close(plain, io.Read("out"), 0.1, because: "bfloat16 keeps ~3 significant digits");
        TensorAssert.Close(masked, io.Read("out_masked"), 0.1, because: "the mask goes to the fused attention in bfloat16");
        TensorAssert.MaxAbsDiff(masked, plain).Should().BeGreaterThan(1e-3, "the fixture's mask drops tokens, so it must change the output");
    }

    [Theory]
    [InlineData("unet_stage1_tiny")]
    [InlineData("unet_stage2_tiny")]
    public void InferenceInPlacePath_EqualsTheAutogradPath_BitForBit_AndLeavesTheInputsAlone(string folder)
    {
        using var unet = Load(folder);
        using var io = SafetensorsFile.Open(Fixtures.Path(folder, "io.safetensors"));
        using var scope = NewDisposeScope();
        var sample = io.Read("sample");
        var timestep = io.Read("timestep");
        var text = io.Read("encoder_hidden_states");
        var labels = io.Tensors.ContainsKey("class_labels") ? io.Read("class_labels") : null;
        var sampleBefore = sample.clone();
        var textBefore = text.clone();

        Tensor inPlace;
        using (no_grad()) inPlace = unet.Forward(sample, timestep, text, labels);
        TensorAssert.BitIdentical(sample, sampleBefore, "sample");
        TensorAssert.BitIdentical(text, textBefore, "encoder_hidden_states");

        // With autograd on, every block takes the out-of-place path, and backward must still run through it.
        var tracked = sample.clone().requires_grad_(true);
        var withGraph = unet.Forward(tracked, timestep, text, labels);
        TensorAssert.BitIdentical(inPlace, withGraph.detach(), "out");
        withGraph.sum().backward();
        var grad = tracked.grad;
        grad.Should().NotBeNull();
        grad!.isfinite().all().item<bool>().Should().BeTrue();
        grad.abs().max().item<float>().Should().BeGreaterThan(0f);
    }
}
