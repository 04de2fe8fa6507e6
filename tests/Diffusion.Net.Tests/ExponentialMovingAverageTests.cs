using Diffusion.Net.Training;
using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

public sealed class ExponentialMovingAverageTests
{
    [Fact]
    public void Update_FollowsTheWarmedUpRecurrence_AgainstADoublePrecisionReplay()
    {
        using var weight = zeros(3, dtype: ScalarType.Float32);
        using var ema = new ExponentialMovingAverage(new Dictionary<string, Tensor> { ["w"] = weight }, decay: 0.99);
        var expected = new double[3];
        var rng = new Random(5);
        for (long step = 1; step <= 400; step++)
        {
            var values = Enumerable.Range(0, 3).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            using (var v = tensor(values.Select(x => (float)x).ToArray())) weight.copy_(v);
            ema.Update(step);
            // θ̄ ← d_k θ̄ + (1 − d_k) θ, d_k = min(d, (1 + k)/(10 + k)).
            double d = Math.Min(0.99, (1.0 + step) / (10.0 + step));
            for (int i = 0; i < 3; i++) expected[i] = d * expected[i] + (1 - d) * (float)values[i];
        }
        var actual = ema.Weights["w"].data<float>().ToArray();
        for (int i = 0; i < 3; i++) actual[i].Should().BeApproximately((float)expected[i], 1e-5f);
        ema.DecayAt(1).Should().BeApproximately(2.0 / 11, 1e-15);
        ema.DecayAt(10_000).Should().Be(0.99, "the warm-up ends once (1 + k)/(10 + k) exceeds d");
    }

    [Fact]
    public void ConstantWeights_AreTheirOwnAverage_AndCopyToWritesTheParametersDType()
    {
        using var linear = nn.Linear(4, 2);
        var weights = linear.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        using var ema = new ExponentialMovingAverage(weights, 0.999);
        for (long step = 1; step <= 50; step++) ema.Update(step);
        foreach (var (name, w) in weights) TensorEquals(ema.Weights[name], w).Should().BeTrue(name);
        linear.to(ScalarType.BFloat16);
        ema.CopyTo(linear);
        linear.weight!.dtype.Should().Be(ScalarType.BFloat16);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void DecayOutsideTheOpenUnitInterval_IsRefused(double decay)
    {
        using var w = zeros(1);
        FluentActions.Invoking(() => new ExponentialMovingAverage(new Dictionary<string, Tensor> { ["w"] = w }, decay))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*EMA decay*");
        FluentActions.Invoking(() => new TrainerOptions { EmaDecay = decay }.Validate())
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*EmaDecay*");
    }

    private static bool TensorEquals(Tensor a, Tensor b) => a.to(ScalarType.Float32).allclose(b.to(ScalarType.Float32), rtol: 0, atol: 0);
}
