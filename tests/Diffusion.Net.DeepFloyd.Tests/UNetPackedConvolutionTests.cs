using System.Runtime.Intrinsics.X86;
using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.IO;
using Diffusion.Net.Testing;
using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// <see cref="IFUNet.PackConvolutionWeights"/>: oneDNN's kernels on weights reordered once give the unpacked network's
/// outputs bit for bit on the shape they were packed for, and diffusers' within the parity tolerance on any shape; what
/// is left of the model afterwards; where it does not apply.
/// </summary>
public class UNetPackedConvolutionTests
{
    private static bool Expected => Platform.PacksWeights;

    private static IFUNet Load(string folder, ScalarType dtype = ScalarType.Float32)
    {
        var config = IFUNetConfig.Load(Fixtures.Path(folder, "config.json"));
        var unet = new IFUNet(config, new WeightAllocation(CPU, dtype));
        using var weights = SafetensorsFile.Open(Fixtures.Path(folder, "diffusion_pytorch_model.safetensors"));
        ModuleWeights.Load(unet, weights);
        unet.eval();
        return unet;
    }

    /// <summary>A fixture's recorded inputs and diffusers' output, read into the caller's dispose scope.</summary>
    private sealed record Io(Tensor Sample, Tensor Timestep, Tensor Text, Tensor? Labels, Tensor Out)
    {
        public static Io Read(string folder)
        {
            using var io = SafetensorsFile.Open(Fixtures.Path(folder, "io.safetensors"));
            return new(io.Read("sample"), io.Read("timestep"), io.Read("encoder_hidden_states"),
                io.Tensors.ContainsKey("class_labels") ? io.Read("class_labels") : null, io.Read("out"));
        }

        public Tensor Through(IFUNet unet, Tensor? sample = null) => unet.Forward(sample ?? Sample, Timestep, Text, Labels);
    }

    private static Tensor ChannelsLast(Tensor t) => t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    private static long ConvolutionWeightCount(IFUNet unet) => unet.named_parameters().Where(p => p.name.EndsWith("weight", StringComparison.Ordinal) && p.parameter.dim() == 4).Sum(p => p.parameter.numel());

    [Fact]
    public void PackingIsSupported_WhereTheLibtorchOfThisPackageRuns()
    {
        OneDnnPackedConvolution.IsSupported.Should().Be(Expected);
        OneDnnPackedConvolution.Supports(ScalarType.Float32).Should().Be(Expected);
        OneDnnPackedConvolution.Supports(ScalarType.Float64).Should().BeFalse();
        // oneDNN's bfloat16 needs AVX-512 BW, VL and DQ (or AVX-NE-CONVERT, which .NET does not report).
        if (Expected && Avx512BW.IsSupported && Avx512BW.VL.IsSupported && Avx512DQ.IsSupported)
            OneDnnPackedConvolution.SupportsBFloat16.Should().BeTrue();
    }

    [Theory]
    [InlineData(ScalarType.Float32, 3, 1)]
    [InlineData(ScalarType.Float32, 1, 0)]
    [InlineData(ScalarType.BFloat16, 3, 1)]
    [InlineData(ScalarType.BFloat16, 1, 0)]
    public void APackedWeight_IsConv2dBitForBit_OnItsShape_AndConv2dWithinRounding_OnOthers(ScalarType dtype, int kernel, int padding)
    {
        if (!OneDnnPackedConvolution.Supports(dtype)) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var gen = new Generator(11);
        var weight = ChannelsLast(randn([48, 40, kernel, kernel], generator: gen) * 0.1).to(dtype);
        var bias = randn([48], generator: gen).to(dtype);
        var x = ChannelsLast(randn([2, 40, 12, 12], generator: gen)).to(dtype);
        var packed = OneDnnPackedConvolution.Pack(weight, padding, x.shape);
        packed.shape.Should().Equal(weight.shape, "oneDNN's blocked tensor keeps the logical shape");

        var y = OneDnnPackedConvolution.Convolve(x, packed, bias, padding);
        TensorAssert.BitIdentical(y, nn.functional.conv2d(x, weight, bias, padding: [padding, padding]), "the shape it was packed for");
        y.stride(1).Should().Be(1, "the output stays channels-last");
        TensorAssert.BitIdentical(OneDnnPackedConvolution.Convolve(x, packed, null, padding), nn.functional.conv2d(x, weight, padding: [padding, padding]), "without a bias");

        double tolerance = dtype == ScalarType.BFloat16 ? 2e-2 : 1e-5;
        foreach (var other in new[] { ChannelsLast(randn([1, 40, 6, 6], generator: gen)), ChannelsLast(randn([3, 40, 20, 20], generator: gen)), randn([2, 40, 12, 12], generator: gen) })
        {
            var input = other.to(dtype);
            TensorAssert.Close(OneDnnPackedConvolution.Convolve(input, packed, bias, padding).to(ScalarType.Float32),
                nn.functional.conv2d(input, weight, bias, padding: [padding, padding]).to(ScalarType.Float32), tolerance, tolerance,
                $"an input of [{string.Join(", ", input.shape)}]");
        }
    }

    [Theory]
    [InlineData("unet_stage1_tiny", ScalarType.Float32)]
    [InlineData("unet_stage2_tiny", ScalarType.Float32)]
    [InlineData("unet_stage1_tiny", ScalarType.BFloat16)]
    public void APackedUNet_IsItsUnpackedSelf_BitForBit_AndDiffusersWithinTolerance(string folder, ScalarType dtype)
    {
        using var plain = Load(folder, dtype);
        using var packed = Load(folder, dtype);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var io = Io.Read(folder);
        var (sample, timestep, text, labels) = (io.Sample.to(dtype), io.Timestep, io.Text, io.Labels);
        long weights = ConvolutionWeightCount(packed), before = packed.ParameterCount;

        bool applies = OneDnnPackedConvolution.Supports(dtype);
        if (dtype == ScalarType.Float32) applies.Should().Be(Expected, "float32 packs wherever this package's libtorch runs");
        packed.PackConvolutionWeights().Should().Be(applies);
        packed.PacksConvolutionWeights.Should().Be(applies);
        packed.ParameterCount.Should().Be(before, "the weights are released at the first forward pass, which knows the input's shape");
        var expected = plain.Forward(sample, timestep, text, labels);
        TensorAssert.BitIdentical(packed.Forward(sample, timestep, text, labels), expected, "the first pass, which packs");
        TensorAssert.BitIdentical(packed.Forward(sample, timestep, text, labels), expected, "a later pass on the packed weights");
        if (!applies)
        {
            packed.ParameterCount.Should().Be(before, "nothing changes where it does not apply");
            return;
        }
        packed.ParameterCount.Should().Be(before - weights, "every convolution weight is replaced by its packed copy");
        packed.modules().OfType<Conv2dLayer>().Should().OnlyContain(c => c.IsPacked);
        if (dtype == ScalarType.Float32)
            TensorAssert.Close(packed.Forward(sample, timestep, text, labels), io.Out, 1e-4, 1e-4, "against diffusers");

        // Another batch size and resolution than the packed one: oneDNN reorders for it, the result stays the convolution.
        var twice = cat([sample, sample.flip(3)], 0);
        var half = nn.functional.avg_pool2d(twice, 2, 2);
        var textTwice = cat([text, text], 0);
        var labelsTwice = labels is null ? null : cat([labels, labels], 0);
        double tolerance = dtype == ScalarType.BFloat16 ? 5e-2 : 1e-5;
        TensorAssert.Close(packed.Forward(half, cat([timestep, timestep], 0), textTwice, labelsTwice).to(ScalarType.Float32),
            plain.Forward(half, cat([timestep, timestep], 0), textTwice, labelsTwice).to(ScalarType.Float32), tolerance, tolerance, "twice the batch at half the resolution");
    }

    [Fact]
    public void APackedUNet_RefusesGradientsAndAnotherDtype_WithClearExceptions()
    {
        if (!Expected) return;
        using var unet = Load("unet_stage1_tiny");
        using var scope = NewDisposeScope();
        var io = Io.Read("unet_stage1_tiny");
        unet.PackConvolutionWeights().Should().BeTrue();
        using (no_grad()) io.Through(unet);
        FluentActions.Invoking(() => io.Through(unet, io.Sample.clone().requires_grad_()))
            .Should().Throw<InvalidOperationException>().WithMessage("*inference only*gradient*");
        // The network's linear layers already refuse a mixed dtype; a packed layer called on its own says why it cannot.
        using var noGrad = no_grad();
        var conv = unet.modules().OfType<Conv2dLayer>().First();
        FluentActions.Invoking(() => conv.forward(io.Sample.to(ScalarType.BFloat16)))
            .Should().Throw<InvalidOperationException>().WithMessage("*packed for Float32*BFloat16*");
    }

    [Fact]
    public void ConcurrentFirstPasses_PackEachLayerOnce_AndBothGetTheUnpackedOutput()
    {
        if (!Expected) return;
        using var plain = Load("unet_stage2_tiny");
        using var shared = Load("unet_stage2_tiny");
        using var scope = NewDisposeScope();
        var io = Io.Read("unet_stage2_tiny");
        Tensor expected;
        using (no_grad()) expected = io.Through(plain);
        shared.PackConvolutionWeights().Should().BeTrue();
        using var start = new Barrier(2);
        var outputs = new Tensor?[2];
        var errors = new Exception?[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() =>
        {
            try
            {
                using var threadScope = NewDisposeScope();
                using var noGrad = no_grad();
                start.SignalAndWait();
                outputs[i] = io.Through(shared).clone().DetachFromDisposeScope();
            }
            catch (Exception e)
            {
                errors[i] = e;
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        errors.Should().OnlyContain(e => e == null);
        foreach (var output in outputs)
            using (output)
                TensorAssert.BitIdentical(output!, expected, "a first pass run beside another");
        shared.modules().OfType<Conv2dLayer>().Should().OnlyContain(c => c.IsPacked);
    }

    [Fact]
    public void AUNetWithGradientsOnItsInputs_DoesNotPack_UntilAPassWithoutThem()
    {
        if (!Expected) return;
        using var unet = Load("unet_stage1_tiny");
        using var scope = NewDisposeScope();
        var io = Io.Read("unet_stage1_tiny");
        unet.PackConvolutionWeights().Should().BeTrue();
        var withGradient = io.Through(unet, io.Sample.clone().requires_grad_());
        withGradient.requires_grad.Should().BeTrue("a pass that records a gradient runs on the plain weights");
        unet.modules().OfType<Conv2dLayer>().Should().OnlyContain(c => !c.IsPacked);
        using var noGrad = no_grad();
        io.Through(unet);
        unet.modules().OfType<Conv2dLayer>().Should().OnlyContain(c => c.IsPacked);
    }

    [Fact]
    public void PackingDoesNotApply_ToWeightsOffTheCpu_AndTheOptionIsRefusedForCuda()
    {
        var config = IFUNetConfig.Load(Fixtures.Path("unet_stage1_tiny", "config.json"));
        using var meta = new IFUNet(config, WeightAllocation.Meta);
        meta.PackConvolutionWeights().Should().BeFalse();
        meta.PacksConvolutionWeights.Should().BeFalse();
        FluentActions.Invoking(() => (DeepFloydOptions.Float32 with { Device = new Device(TorchSharp.DeviceType.CUDA, 0), PackUNetConvolutionWeights = true }).Validate())
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be(nameof(DeepFloydOptions.PackUNetConvolutionWeights));
    }

    [Fact]
    public void TheLoadOption_PacksTheUNet_AndItPredictsAsBefore()
    {
        using var folder = new TinyPipelineFolder(withTextEncoder: false);
        using var plain = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32);
        using var packed = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32 with { PackUNetConvolutionWeights = true });
        packed.UNet.PacksConvolutionWeights.Should().Be(Expected);
        plain.UNet.PacksConvolutionWeights.Should().BeFalse();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var io = Io.Read("unet_stage1_tiny");
        TensorAssert.BitIdentical(io.Through(packed.UNet), io.Through(plain.UNet), "the same weights");
    }
}
