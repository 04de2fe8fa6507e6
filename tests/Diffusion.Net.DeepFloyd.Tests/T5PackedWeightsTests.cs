using System.Globalization;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.IO;
using Diffusion.Net.Testing;
using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// <see cref="T5EncoderModel.PackLinearWeights"/>: the same encoder through MKL's packed GEMM, against transformers' outputs
/// and against itself unpacked; what is left of the model afterwards; where it does not apply.
/// </summary>
public class T5PackedWeightsTests
{
    private static bool Expected => Platform.PacksWeights;

    private static T5EncoderModel LoadTiny(out T5Config config)
    {
        config = T5Config.Load(Fixtures.Path("t5_encoder_tiny", "config.json"));
        var model = new T5EncoderModel(config);
        using (var weights = ShardedSafetensors.Open(Fixtures.Path("t5_encoder_tiny", "model.safetensors.index.json")))
            ModuleWeights.Load(model, weights, T5EncoderModel.TiedKeys);
        model.eval();
        return model;
    }

    [Fact]
    public void PackedEncoder_MatchesTransformers_AndItselfUnpacked_AtSeveralBatchSizes()
    {
        using var model = LoadTiny(out var config);
        using var io = SafetensorsFile.Open(Fixtures.Path("t5_encoder_tiny", "io.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = io.Read("input_ids");
        var mask = io.Read("attention_mask");
        var three = cat([ids, ids.flip(1), ids], 0);
        var unpackedMasked = model.Forward(ids, mask);
        var unpackedThree = model.Forward(three);
        long before = model.ParameterCount;

        MklPackedGemm.IsSupported.Should().Be(Expected);
        model.PackLinearWeights().Should().Be(Expected);
        model.IsPacked.Should().Be(Expected);
        if (!Expected)
        {
            model.ParameterCount.Should().Be(before, "nothing changes where it does not apply");
            return;
        }
        TensorAssert.Close(model.Forward(ids, mask), io.Read("last_hidden_state"), 1e-4, 1e-4, "last_hidden_state against transformers");
        TensorAssert.Close(model.Forward(ids, mask), unpackedMasked, 1e-5, 1e-5, "packed against unpacked, with the mask");
        TensorAssert.Close(model.Forward(three), unpackedThree, 1e-5, 1e-5, "a batch of three: three times the rows of one prompt");
        // The 3 blocks' 4 attention and 3 feed-forward weights are released; the embedding and the norms stay.
        long released = 3 * (4L * 32 * 32 + 3L * 32 * 64);
        model.ParameterCount.Should().Be(before - released);
        model.PackLinearWeights().Should().BeTrue("packing twice is a no-op");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(77)]
    [InlineData(231)]
    public void PackedGemm_OnePackingServesEveryRowCount_AsLinearComputesIt(long rows)
    {
        if (!MklPackedGemm.IsSupported) return;
        using var scope = NewDisposeScope();
        var gen = new Generator(5);
        var w = randn([96, 80], generator: gen);
        var x = randn([rows, 80], generator: gen);
        var packed = MklPackedGemm.PackWeight(w);
        packed.numel().Should().BeGreaterThanOrEqualTo(w.numel(), "MKL's layout holds the whole weight");
        var y = MklPackedGemm.Multiply(x, packed, 96, 80);
        var reference = nn.functional.linear(x.to(ScalarType.Float64), w.to(ScalarType.Float64));
        double error = (y.to(ScalarType.Float64) - reference).abs().max().item<double>() / reference.abs().max().item<double>();
        error.Should().BeLessThan(1e-5, "float32 rounding of an 80-term dot product");
        // A non-contiguous, 3-D input is the same product.
        var x3 = randn([2, 80, rows], generator: gen).transpose(1, 2);
        TensorAssert.Close(MklPackedGemm.Multiply(x3, packed, 96, 80), nn.functional.linear(x3, w), 1e-4, 1e-5, "a transposed [2, rows, 80] input");
    }

    [Fact]
    public void PackingAndMultiplying_LeaveNoTensorBehind_SoThePackedWeightsMemoryIsReleased()
    {
        if (!MklPackedGemm.IsSupported) return;
        using var noGrad = no_grad();
        using var w = randn(48, 40);
        using var x = randn(77, 40);
        // A temporary view of the weight left alive would keep its whole storage resident after the layer lets it go.
        long before = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        using (var packed = MklPackedGemm.PackWeight(w))
        using (var y = MklPackedGemm.Multiply(x, packed, 48, 40))
            (TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount - before).Should().Be(2, "the packed buffer and the product");
        TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount.Should().Be(before);
    }

    [Fact]
    public void PackedGemm_RefusesInputsItCannotServe_BeforeCallingMkl()
    {
        if (!MklPackedGemm.IsSupported) return;
        using var scope = NewDisposeScope();
        var packed = MklPackedGemm.PackWeight(randn(16, 8));
        FluentActions.Invoking(() => MklPackedGemm.Multiply(randn(4, 9), packed, 16, 8)).Should().Throw<ArgumentException>().WithMessage("*last dimension must be 8*");
        FluentActions.Invoking(() => MklPackedGemm.Multiply(randn(4, 8).to(ScalarType.BFloat16), packed, 16, 8)).Should().Throw<InvalidOperationException>().WithMessage("*float32*BFloat16*");
        FluentActions.Invoking(() => MklPackedGemm.Multiply(randn(4, 8).requires_grad_(), packed, 16, 8)).Should().Throw<InvalidOperationException>().WithMessage("*gradient*");
        FluentActions.Invoking(() => MklPackedGemm.PackWeight(randn(16, 8).to(ScalarType.BFloat16))).Should().Throw<ArgumentException>().WithMessage("*float32*");
    }

    [Fact]
    public void ConvertingTheEncoder_ConvertsTheTiedTableOnce_AndMatchesOneLoadedInThatDtype()
    {
        using var converted = LoadTiny(out var config);
        converted.to(ScalarType.BFloat16);
        using var loaded = new T5EncoderModel(config, new WeightAllocation(CPU, ScalarType.BFloat16));
        using (var weights = ShardedSafetensors.Open(Fixtures.Path("t5_encoder_tiny", "model.safetensors.index.json")))
            ModuleWeights.Load(loaded, weights, T5EncoderModel.TiedKeys);
        var state = converted.state_dict();
        ReferenceEquals(state["shared.weight"], state["encoder.embed_tokens.weight"]).Should().BeTrue("the table stays tied");
        state["shared.weight"].dtype.Should().Be(ScalarType.BFloat16);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var io = SafetensorsFile.Open(Fixtures.Path("t5_encoder_tiny", "io.safetensors"));
        var ids = io.Read("input_ids");
        TensorAssert.BitIdentical(converted.Forward(ids), loaded.Forward(ids));
    }

    [Fact]
    public void APackedEncoder_ConvertedToAnotherDtype_FailsClearlyAtItsNextForward()
    {
        if (!MklPackedGemm.IsSupported) return;
        using var model = LoadTiny(out _);
        model.PackLinearWeights().Should().BeTrue();
        model.to(ScalarType.BFloat16);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        FluentActions.Invoking(() => model.Forward(ones(1, 5, ScalarType.Int64))).Should().Throw<InvalidOperationException>().WithMessage("*packed for float32*");
    }

    [Fact]
    public void ABfloat16Encoder_IsNotPacked_AndTheOptionIsRefusedForIt()
    {
        var config = T5Config.Load(Fixtures.Path("t5_encoder_tiny", "config.json"));
        using var model = new T5EncoderModel(config, new WeightAllocation(CPU, ScalarType.BFloat16));
        long before = model.ParameterCount;
        model.PackLinearWeights().Should().BeFalse();
        model.IsPacked.Should().BeFalse();
        model.ParameterCount.Should().Be(before);
        FluentActions.Invoking(() => (DeepFloydOptions.Bf16 with { LoadTextEncoder = true, PackTextEncoderWeights = true }).Validate())
            .Should().Throw<ArgumentException>().Which.ParamName.Should().Be(nameof(DeepFloydOptions.PackTextEncoderWeights));
    }

    [Fact]
    public void TheLoadOption_PacksTheTextEncoder_AndItEncodesAsBefore()
    {
        using var folder = new TinyPipelineFolder(withTextEncoder: true);
        using var plain = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32 with { LoadTextEncoder = true });
        using var packed = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32 with { LoadTextEncoder = true, PackTextEncoderWeights = true });
        packed.TextEncoder!.Encoder.IsPacked.Should().Be(Expected);
        using var scope = NewDisposeScope();
        TensorAssert.Close(packed.TextEncoder.Encode(["a rocket ship", ""]), plain.TextEncoder!.Encode(["a rocket ship", ""]), 1e-5, 1e-5, "the same prompts");
    }

    /// <summary>
    /// The released weights leave the resident set during the packing under every allocator the library knows: glibc
    /// unmaps a freed weight by itself, but TCMalloc and jemalloc keep freed pages for reuse, and a packed buffer larger
    /// than the weight it replaces rarely fits the hole, so without a release per layer the process would end up holding
    /// the weights and their packed copies.
    /// </summary>
    [Theory]
    [InlineData(null, null)]
    [InlineData("libtcmalloc_minimal.so.4", "libtcmalloc-minimal4")]
    [InlineData("libjemalloc.so.2", "libjemalloc2")]
    public void Packing_HandsTheReleasedWeightsBack_UnderEachAllocator(string? library, string? package)
    {
        if (!Expected) return;
        var environment = new Dictionary<string, string>();
        if (library is not null)
        {
            var path = Path.Combine("/usr/lib/x86_64-linux-gnu", library);
            File.Exists(path).Should().BeTrue($"this test preloads Debian's {library}; install it with: sudo apt-get install -y {package}");
            environment["LD_PRELOAD"] = path;
        }
        var child = TestChildProcess.Run("--t5-pack", "6", "the child packs a 6-layer encoder of width 512", environment, timeoutMs: 120_000);
        child["packed"].Should().Be("True");
        child["allocator"].Should().Be(library switch { null => "Glibc", "libjemalloc.so.2" => "Jemalloc", _ => "TCMalloc" });
        long before = long.Parse(child["before"], CultureInfo.InvariantCulture), after = long.Parse(child["after"], CultureInfo.InvariantCulture);
        long released = long.Parse(child["released"], CultureInfo.InvariantCulture);
        released.Should().Be(6 * (4L * 512 * 512 + 3L * 512 * 1536) * sizeof(float));
        // The packed buffers are 1.07–1.29× the weights they replace; holding the weights as well would add 1×.
        (after - before).Should().BeLessThan((long)(0.5 * released), $"the resident set grew from {before} to {after} bytes while {released} bytes of weights were packed and released");
    }
}
