using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.IO;
using Diffusion.Net.Testing;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>The T5 encoder against transformers 4.43 on the tiny fixture with sharded weights (atol 1e-4).</summary>
public class T5ParityTests
{
    [Fact]
    public void TinyT5_FromShardedWeights_MatchesTransformers_WithAndWithoutMask()
    {
        var config = T5Config.Load(Fixtures.Path("t5_encoder_tiny", "config.json"));
        using var model = new T5EncoderModel(config);
        using (var weights = ShardedSafetensors.Open(Fixtures.Path("t5_encoder_tiny", "model.safetensors.index.json")))
        {
            weights.Tensors.Should().ContainKey("shared.weight").And.NotContainKey("encoder.embed_tokens.weight", "transformers stores only the shared table");
            ModuleWeights.Load(model, weights, T5EncoderModel.TiedKeys);
        }
        using var io = SafetensorsFile.Open(Fixtures.Path("t5_encoder_tiny", "io.safetensors"));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = io.Read("input_ids");
        var mask = io.Read("attention_mask");
        var states = new List<Tensor>();
        var bias = empty(0);
        var output = model.Forward(ids, mask, states, bias);
        TensorAssert.Close(output, io.Read("last_hidden_state"), 1e-4, 1e-4, "last_hidden_state");
        for (int i = 0; i < 4; i++) TensorAssert.Close(states[i], io.Read($"act.hidden_states.{i}"), 1e-4, because: $"hidden_states.{i}");
        var expectedBias = io.Read("act.position_bias_layer0_with_mask");
        // Masked positions hold float32.min added to a small bias; compare the unmasked entries, and that the masked ones are huge negatives.
        var finite = expectedBias.gt(-1e30);
        TensorAssert.Close(bias.masked_select(finite), expectedBias.masked_select(finite), 1e-5, because: "relative position bias");
        bias.masked_select(finite.logical_not()).max().item<float>().Should().BeLessThan(-1e38f);
        TensorAssert.Close(model.Forward(ids), io.Read("last_hidden_state_no_mask"), 1e-4, 1e-4, "without mask");
        model.ParameterCount.Should().Be(config.VocabSize * config.DModel + 3 * (4L * 32 * 32 + 3L * 32 * 64 + 2 * 32) + 32 * 4 + 32);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(3, 19)]
    [InlineData(-3, 3)]
    [InlineData(8, 24)]
    [InlineData(9, 24)]
    [InlineData(20, 26)]
    [InlineData(-20, 10)]
    [InlineData(127, 31)]
    [InlineData(1000, 31)]
    [InlineData(-1000, 15)]
    public void RelativePositionBuckets_FollowTransformers(long relative, long bucket)
    {
        // Hand-computed: 16 buckets per sign (+16 when key > query), exact below 8, then 8 + ⌊ln(r/8)/ln(16)·8⌋ capped at 15.
        using var r = tensor(new[] { relative });
        using var b = T5Attention.RelativePositionBucket(r, 32, 128);
        b.item<long>().Should().Be(bucket);
    }
}
