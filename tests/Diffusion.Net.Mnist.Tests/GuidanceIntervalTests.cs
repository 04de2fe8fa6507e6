using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

/// <summary>
/// Limited-interval guidance on the main job's model: the same seeds sampled with γ = 5 at every step (B.4) and with
/// γ = 5 only for t ≤ 150. Floors are set below the values measured at 200 samples (docs/results-mnist.md).
/// </summary>
[Collection(nameof(QuickModelCollection))]
public sealed class GuidanceIntervalTests(QuickModelFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void LimitedGuidance_KeepsTheDigits_WithThinnerStrokesAndACloserFeatureDistribution()
    {
        var requested = MnistSampling.EachDigit(10);
        using var b4 = Sample(requested, null);
        using var limited = Sample(requested, MnistSampling.LimitedGuidanceInterval);
        var qB4 = fixture.Evaluator.Evaluate(b4, requested, seed: 0);
        var qLimited = fixture.Evaluator.Evaluate(limited, requested, seed: 0);
        double inkB4 = Ink(b4), inkLimited = Ink(limited), inkReal;
        using (var real = fixture.Test.Images(arange(0, 1000, dtype: ScalarType.Int64))) inkReal = Ink(real);
        output.WriteLine($"B.4: {qB4}, ink {inkB4:P1}");
        output.WriteLine($"limited: {qLimited}, ink {inkLimited:P1}; real ink {inkReal:P1}");

        qB4.ClassAgreement.Should().BeGreaterThanOrEqualTo(0.97);
        qLimited.ClassAgreement.Should().BeGreaterThanOrEqualTo(0.9, "the conditional prediction alone still lays out the right digit");
        inkLimited.Should().BeLessThan(inkB4, "γ = 5 from pure noise thickens every stroke");
        Math.Abs(inkLimited - inkReal).Should().BeLessThan(Math.Abs(inkB4 - inkReal));
        qLimited.FrechetDistance.Should().BeLessThan(0.8 * qB4.FrechetDistance);
    }

    private Tensor Sample(int[] requested, (double Min, double Max)? interval)
    {
        using var sample = MnistSampling.ClassConditioned(fixture.Model, requested, guidanceInterval: interval).Run(seed: 1000);
        return sample.to(ScalarType.Float32).clamp(0f, 1f);
    }

    private static double Ink(Tensor images)
    {
        using var scope = NewDisposeScope();
        return images.gt(0.5).to(ScalarType.Float64).mean().item<double>();
    }
}
