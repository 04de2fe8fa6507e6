using System.Text;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Prompts;
using Diffusion.Net.IO;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

public class LoadingTests
{
    [Fact]
    public void PipelineFolder_LoadsUNetAndScheduler_AndPredictsLikeTheRawUNet()
    {
        using var folder = new TinyPipelineFolder();
        using var model = DeepFloydModel.Load(folder.Root);
        model.Sampler.Options.Variance.Should().Be(DdpmVariance.LearnedRange);
        model.Sampler.Options.Thresholding.Should().BeTrue();
        model.Schedule.Length.Should().Be(1000);
        using var io = SafetensorsFile.Open(Fixtures.Path("unet_stage1_tiny", "io.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var p = model.Predict(io.Read("sample"), io.Read("timestep"), Condition.Text(io.Read("encoder_hidden_states")));
        TensorAssert.Close(p.ToModelOutput(), io.Read("out"), 1e-4, 1e-4);
        p.Variance!.shape.Should().Equal(2, 3, 16, 16);
    }

    [Fact]
    public void Bf16_AndTheFp16Variant_AndShardedWeights_AllLoad()
    {
        using var folder = new TinyPipelineFolder();
        using var io = SafetensorsFile.Open(Fixtures.Path("unet_stage1_tiny", "io.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = io.Read("out");
        Tensor Predict(DeepFloydModel m)
        {
            using var p = m.Predict(io.Read("sample"), io.Read("timestep"), Condition.Text(io.Read("encoder_hidden_states")));
            return p.ToModelOutput().DetachFromDisposeScope();
        }

        using (var bf16 = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Bf16))
        {
            bf16.UNet.parameters().Should().OnlyContain(t => t.dtype == ScalarType.BFloat16);
            using var out16 = Predict(bf16);
            out16.dtype.Should().Be(ScalarType.Float32, "outputs come back in the sample's dtype");
            TensorAssert.Close(out16, expected, 0.1, because: "bfloat16 keeps ~3 significant digits");
        }

        // fp16 variant only: diffusion_pytorch_model.fp16.safetensors.
        using (var weights = SafetensorsFile.Open(folder.Unet("diffusion_pytorch_model.safetensors")))
        {
            var half = weights.ReadAll(ScalarType.Float16);
            SafetensorsWriter.Save(folder.Unet("diffusion_pytorch_model.fp16.safetensors"), half);
            foreach (var t in half.Values) t.Dispose();
        }
        File.Move(folder.Unet("diffusion_pytorch_model.safetensors"), folder.Unet("full.safetensors.keep"));
        using (var fp16 = DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32 with { Variant = "fp16" }))
        using (var outHalf = Predict(fp16))
            TensorAssert.Close(outHalf, expected, 0.02, because: "float16 weights converted to float32");
        using (var fallback = DeepFloydModel.Load(folder.Root)) fallback.UNet.Should().NotBeNull("with no default file the fp16 variant is taken");

        // Sharded: two shards and an index.
        File.Delete(folder.Unet("diffusion_pytorch_model.fp16.safetensors"));
        using (var weights = SafetensorsFile.Open(folder.Unet("full.safetensors.keep")))
        {
            var all = weights.ReadAll();
            var names = all.Keys.Order(StringComparer.Ordinal).ToList();
            var first = names.Take(names.Count / 2).ToDictionary(n => n, n => all[n]);
            var second = names.Skip(names.Count / 2).ToDictionary(n => n, n => all[n]);
            SafetensorsWriter.Save(folder.Unet("diffusion_pytorch_model-00001-of-00002.safetensors"), first);
            SafetensorsWriter.Save(folder.Unet("diffusion_pytorch_model-00002-of-00002.safetensors"), second);
            var map = string.Join(",", first.Keys.Select(k => $"\"{k}\":\"diffusion_pytorch_model-00001-of-00002.safetensors\"")
                .Concat(second.Keys.Select(k => $"\"{k}\":\"diffusion_pytorch_model-00002-of-00002.safetensors\"")));
            File.WriteAllText(folder.Unet("diffusion_pytorch_model.safetensors.index.json"), "{\"metadata\":{},\"weight_map\":{" + map + "}}");
            foreach (var t in all.Values) t.Dispose();
        }
        using (var sharded = DeepFloydModel.Load(folder.Root))
        using (var outSharded = Predict(sharded))
            TensorAssert.Close(outSharded, expected, 1e-4, 1e-4);
    }

    [Fact]
    public void HostileOrWrongWeightFiles_AreRejected_ByName()
    {
        using var folder = new TinyPipelineFolder();
        var path = folder.Unet("diffusion_pytorch_model.safetensors");
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..(bytes.Length - 1000)]);
        FluentActions.Invoking(() => DeepFloydModel.Load(folder.Root)).Should().Throw<SafetensorsFormatException>()
            .WithMessage("*diffusion_pytorch_model.safetensors*truncated*");

        var lying = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(lying.AsSpan(0, 8), (ulong)bytes.Length * 4);
        File.WriteAllBytes(path, lying);
        FluentActions.Invoking(() => DeepFloydModel.Load(folder.Root)).Should().Throw<SafetensorsFormatException>().WithMessage("*header length exceeds*");

        var unknown = (byte[])bytes.Clone();
        int at = IndexOf(unknown, "\"F32\"");
        Encoding.ASCII.GetBytes("\"F8X\"").CopyTo(unknown, at);
        File.WriteAllBytes(path, unknown);
        FluentActions.Invoking(() => DeepFloydModel.Load(folder.Root)).Should().Throw<SafetensorsFormatException>().WithMessage("*unknown or unsupported dtype 'F8X'*");

        // Stage II weights under a stage I config: missing, unexpected and mis-shaped tensors, all named.
        File.Copy(Fixtures.Path("unet_stage2_tiny", "diffusion_pytorch_model.safetensors"), path, overwrite: true);
        var ex = FluentActions.Invoking(() => DeepFloydModel.Load(folder.Root)).Should().Throw<WeightsMismatchException>().Which;
        ex.Unexpected.Should().Contain("class_embedding.linear_1.weight");
        ex.Misshaped.Should().Contain(m => m.StartsWith("conv_in.weight: expected [32, 3, 3, 3] but found [16, 6, 3, 3]"));

        File.Delete(path);
        File.WriteAllBytes(folder.Unet("diffusion_pytorch_model.bin"), [1, 2, 3]);
        FluentActions.Invoking(() => DeepFloydModel.Load(folder.Root)).Should().Throw<FileNotFoundException>().WithMessage("*pickled weights (diffusion_pytorch_model.bin)*");
    }

    [Fact]
    public void BadFoldersAndConfigs_AreRejected_NamingTheProblem()
    {
        FluentActions.Invoking(() => DeepFloydModel.Load("/nonexistent/IF-I-L-v1.0")).Should().Throw<DirectoryNotFoundException>().WithMessage("*does not exist*");
        using var folder = new TinyPipelineFolder();
        var config = folder.Unet("config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"scale_shift\"", "\"default\""));
        FluentActions.Invoking(() => DeepFloydModel.Load(folder.Root)).Should().Throw<ModelConfigException>().WithMessage("*resnet_time_scale_shift*default*");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"resnet_time_scale_shift\": \"default\"", "\"resnet_time_scale_shift\": \"scale_shift\"").Replace("\"SimpleCrossAttnDownBlock2D\"", "\"CrossAttnDownBlock2D\""));
        FluentActions.Invoking(() => DeepFloydModel.Load(folder.Root)).Should().Throw<ModelConfigException>().WithMessage("*down_block_types*CrossAttnDownBlock2D*");
        FluentActions.Invoking(() => DeepFloydModel.Load(folder.Root, DeepFloydOptions.Float32 with { DType = ScalarType.Float16 })).Should().Throw<ArgumentException>().WithMessage("*float16*CPU*");
    }

    [Fact]
    public void TextEncoderAndTokenizer_FromAPipelineFolder_ReproduceTransformersEndToEnd()
    {
        using var folder = new TinyPipelineFolder(withTextEncoder: true);
        using var encoder = T5TextEncoder.Load(folder.Root);
        using var io = SafetensorsFile.Open(Fixtures.Path("t5_encoder_tiny", "io.safetensors"));
        using var info = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Fixtures.Path("t5_encoder_tiny", "fixture_info.json")));
        var prompts = info.RootElement.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()!).ToArray();
        using var ids = encoder.Tokenizer.EncodeBatch(prompts);
        using var expectedIds = io.Read("input_ids");
        using var expectedMask = io.Read("attention_mask");
        ids.InputIds.equal(expectedIds).all().item<bool>().Should().BeTrue("the tokenizer reproduces the fixture's ids");
        ids.AttentionMask.equal(expectedMask).all().item<bool>().Should().BeTrue("and its mask");
        using var states = encoder.Encode(prompts, preprocess: false);
        using var expected = io.Read("last_hidden_state");
        TensorAssert.Close(states, expected, 1e-4, 1e-4, "prompt → tokens → T5 states");
        using var store = PromptEmbeddings.Encode(encoder, ["a photo of a cat"]);
        store.Prompts.Should().BeEquivalentTo(["a photo of a cat", ""]);
        store.Get("").shape.Should().Equal(1, 77, 32);
    }

    private static int IndexOf(byte[] haystack, string needle)
    {
        var n = Encoding.ASCII.GetBytes(needle);
        for (int i = 0; i < haystack.Length - n.Length; i++)
            if (haystack.AsSpan(i, n.Length).SequenceEqual(n)) return i;
        throw new InvalidOperationException(needle + " not found");
    }
}
