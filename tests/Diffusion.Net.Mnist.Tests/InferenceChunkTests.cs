using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Testing;
using FluentAssertions;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

/// <summary>
/// Inference runs the batch in row chunks (<see cref="UNetBackbone.InferenceChunk"/>): every image must get the output
/// the whole-batch pass gives it, with its own class, time and mask, and training must never be chunked.
/// </summary>
public sealed class InferenceChunkTests
{
    private const long Batch = 8;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void ClassConditioned_ChunkedRows_EqualTheWholeBatch_WithTheirOwnClassTimeAndMask(int chunk)
    {
        using var model = SeededModules.Create(() => new ClassConditionalUNet(1, 16), 11);
        model.eval();
        using var scope = NewDisposeScope();
        var (x, t) = Inputs();
        // Every row a different condition, the null class and a masked row among them: a row shifted between chunks
        // would meet another row's class and time.
        var c = tensor(new long[] { 0, 1, -1, 3, 4, 5, 6, 9 });
        var mask = tensor(new long[] { 1, 1, 1, 0, 1, 1, 1, 1 });
        using var noGrad = no_grad();
        var whole = Run(model, int.MaxValue, () => model.forward(x, c, t, mask));
        var chunked = Run(model, chunk, () => model.forward(x, c, t, mask));
        SameOutputs(chunked, whole, $"chunks of {chunk}");
        // And each row alone, as a batch of one.
        for (long i = 0; i < Batch; i++)
        {
            var alone = Run(model, int.MaxValue, () => model.forward(x.narrow(0, i, 1), c.narrow(0, i, 1), t.narrow(0, i, 1), mask.narrow(0, i, 1)));
            SameOutputs(chunked.narrow(0, i, 1), alone, $"row {i} alone");
        }
    }

    [Fact]
    public void TimeConditionedAndUnconditional_ChunkedRows_EqualTheWholeBatch()
    {
        using var timed = SeededModules.Create(() => new TimeConditionalUNet(1, 16), 12);
        using var plain = SeededModules.Create(() => new UnconditionalUNet(1, 16), 13);
        timed.eval();
        plain.eval();
        using var scope = NewDisposeScope();
        var (x, t) = Inputs();
        using var noGrad = no_grad();
        SameOutputs(Run(timed, 3, () => timed.forward(x, t)), Run(timed, int.MaxValue, () => timed.forward(x, t)), "time-conditioned, chunks of 3");
        SameOutputs(Run(plain, 3, () => plain.forward(x)), Run(plain, int.MaxValue, () => plain.forward(x)), "unconditional, chunks of 3");
    }

    [Fact]
    public void InPlaceConditioning_WithoutAutograd_EqualsTheAutogradPath()
    {
        using var model = SeededModules.Create(() => new ClassConditionalUNet(1, 16), 14);
        model.eval();
        using var scope = NewDisposeScope();
        var (x, t) = Inputs();
        var c = arange(Batch).remainder(11).sub(1);
        var withAutograd = model.forward(x, c, t).detach();
        using var noGrad = no_grad();
        var inPlace = Run(model, 3, () => model.forward(x, c, t));
        SameOutputs(inPlace, withAutograd, "scale ⊙ u + shift written into u, in chunks, against the out-of-place whole batch");
    }

    [Fact]
    public void TrainMode_IsNeverChunked_EvenWithoutAutograd()
    {
        using var chunked = SeededModules.Create(() => new ClassConditionalUNet(1, 16), 15);
        using var whole = SeededModules.Create(() => new ClassConditionalUNet(1, 16), 15);
        chunked.InferenceChunk = 2;
        whole.InferenceChunk = int.MaxValue;
        chunked.train();
        whole.train();
        using var scope = NewDisposeScope();
        var (x, t) = Inputs();
        var c = arange(Batch).remainder(10);
        using (no_grad())
        {
            TensorAssert.BitIdentical(chunked.forward(x, c, t), whole.forward(x, c, t), "train-mode BatchNorm needs the whole batch's statistics");
            var chunkedState = chunked.state_dict();
            foreach (var (name, v) in whole.state_dict())
                TensorAssert.BitIdentical(chunkedState[name], v, $"{name}: the running statistics see the batch once");
        }
        var yChunked = chunked.forward(x, c, t);
        var yWhole = whole.forward(x, c, t);
        TensorAssert.BitIdentical(yChunked, yWhole, "training forward");
        yChunked.square().mean().backward();
        yWhole.square().mean().backward();
        var wholeParameters = whole.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in chunked.named_parameters())
            TensorAssert.BitIdentical(p.grad!, wholeParameters[name].grad!, $"gradient of {name}");
    }

    [Fact]
    public void TheAutomaticChunk_KeepsTheLargestActivationWithin16MiB_InEqualPasses_OnCpu_WithoutAutograd_InEvalMode()
    {
        using var d64 = new ClassConditionalUNet(1, 64);
        using var d16 = new ClassConditionalUNet(1, 16);
        d64.eval();
        d16.eval();
        using var scope = NewDisposeScope();
        var x = zeros(200, 1, 28, 28);
        using (no_grad())
        {
            // 2D × 28 × 28 values per image: 16 MiB ÷ (128 · 784 · 4 bytes) = 41.8 images at D = 64 in float32, so
            // 200 images take 5 passes, of 40 each.
            d64.ChunkFor(x).Should().Be(40);
            d64.ChunkFor(x.narrow(0, 0, 100)).Should().Be(34, "3 passes of 34, 33 and 33, not 41, 41 and 18");
            d64.ChunkFor(x.narrow(0, 0, 41)).Should().Be(41);
            d64.ChunkFor(x.to(ScalarType.BFloat16)).Should().Be(67, "83 images in bfloat16: 3 passes");
            d16.ChunkFor(x).Should().Be(100, "167 images at D = 16: 2 passes");
            d16.ChunkFor(x.narrow(0, 0, 100)).Should().Be(100, "a batch within the budget runs whole");
            d64.InferenceChunk = 7;
            d64.ChunkFor(x).Should().Be(7, "⌈200 / 7⌉ = 29 passes of at most 7");
            d64.InferenceChunk = 3;
            d64.ChunkFor(x.narrow(0, 0, 8)).Should().Be(3);
            d64.InferenceChunk = 0;
            d64.train();
            d64.ChunkFor(x).Should().Be(200, "train mode");
            d64.eval();
        }
        d64.ChunkFor(x).Should().Be(200, "a recorded gradient");
    }

    [Fact]
    public void ANegativeChunk_IsRejected_NamingTheProperty()
    {
        using var model = new UnconditionalUNet(1, 8);
        var act = () => model.InferenceChunk = -1;
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(UNetBackbone.InferenceChunk));
        model.InferenceChunk.Should().Be(0);
    }

    private static (Tensor X, Tensor T) Inputs()
    {
        using var generator = new Generator(78, CPU);
        return (randn([Batch, 1, 28, 28], generator: generator), rand([Batch], generator: generator));
    }

    private static Tensor Run(UNetBackbone model, int chunk, Func<Tensor> forward)
    {
        model.InferenceChunk = chunk;
        try
        {
            return forward();
        }
        finally
        {
            model.InferenceChunk = 0;
        }
    }

    /// <summary>
    /// The same per-image computation: oneDNN may block another batch size differently, so float32 rounding apart
    /// (a row meeting another row's condition is off by 1e-1 of max |out|).
    /// </summary>
    private static void SameOutputs(Tensor actual, Tensor expected, string because)
    {
        actual.shape.Should().Equal(expected.shape, because);
        using var max = expected.abs().max();
        double scale = max.item<float>();
        TensorAssert.Close(actual, expected, 1e-5 * scale, 0, because);
    }
}
