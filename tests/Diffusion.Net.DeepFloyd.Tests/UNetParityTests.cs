using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.IO;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>The IF UNets against diffusers 0.29.2 on the tiny random-weight fixtures (atol 1e-4, rtol 1e-4).</summary>
public class UNetParityTests
{
    private static IFUNet Load(string folder)
    {
        var config = IFUNetConfig.Load(Fixtures.Path(folder, "config.json"));
        var unet = new IFUNet(config);
        using var weights = SafetensorsFile.Open(Fixtures.Path(folder, "diffusion_pytorch_model.safetensors"));
        ModuleWeights.Load(unet, weights);
        return unet;
    }

    [Theory]
    [InlineData("unet_stage1_tiny", 1_251_350)]
    [InlineData("unet_stage2_tiny", 898_998)]
    public void TinyUNet_MatchesDiffusers_OutputsAndEveryRecordedActivation(string folder, long parameters)
    {
        using var unet = Load(folder);
        unet.ParameterCount.Should().Be(parameters);
        using var io = SafetensorsFile.Open(Fixtures.Path(folder, "io.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sample = io.Read("sample");
        var timestep = io.Read("timestep");
        var text = io.Read("encoder_hidden_states");
        var labels = io.Tensors.ContainsKey("class_labels") ? io.Read("class_labels") : null;

        unet.Activations = [];
        var output = unet.Forward(sample, timestep, text, labels);
        TensorAssert.Close(output, io.Read("out"), 1e-4, 1e-4, "out");
        foreach (var name in io.Tensors.Keys.Where(k => k.StartsWith("act.", StringComparison.Ordinal)))
            TensorAssert.Close(unet.Activations[name[4..]], io.Read(name), 1e-4, because: name);
        foreach (var a in unet.Activations.Values) a.Dispose();
        unet.Activations = null;

        TensorAssert.Close(unet.Forward(sample, tensor(500L), text, labels), io.Read("out_scalar_t500"), 1e-4, 1e-4, "out_scalar_t500");
        TensorAssert.Close(unet.Forward(sample, timestep, text, labels, io.Read("encoder_attention_mask")), io.Read("out_masked"), 1e-4, 1e-4, "out_masked");
    }
}
