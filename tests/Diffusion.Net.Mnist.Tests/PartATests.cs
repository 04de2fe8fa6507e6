using Diffusion.Net.Mnist.PartA;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Training;
using Diffusion.Net.Views;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

/// <summary>
/// CS180 Part A on the MNIST model: the techniques' rates over 50 independent samples stay above floors set below the
/// rates measured at 100 samples (docs/results-part-a.md), and the exact invariants hold.
/// </summary>
[Collection(nameof(QuickModelCollection))]
public sealed class PartATests(QuickModelFixture fixture, ITestOutputHelper output)
{
    private const int Count = 50;
    private PartAMeasurements Measure => new(new MnistPartA(fixture.Model), fixture.Evaluator, fixture.Test);

    [Fact]
    public void Sdedit_DistanceShrinksAsIStartGrows_AndTheGentlestLevelKeepsTheDigit()
    {
        var levels = Measure.MeasureSdedit(Count, seed: 1);
        foreach (var l in levels) output.WriteLine($"i_start={l.StartIndex} t={l.Timestep}: distance {l.MeanDistance:0.00}, kept {l.KeptRate:P0}");
        levels.Select(l => l.MeanDistance).Should().BeInDescendingOrder();
        levels[^1].KeptRate.Should().BeGreaterThanOrEqualTo(0.85, "measured 95% at 100 samples");
        levels[0].KeptRate.Should().BeLessThan(levels[^1].KeptRate, "heavy noise reinvents the digit");
    }

    [Fact]
    public void Inpainting_CompletesTheDigit()
        => Measure.MeasureInpainting(Count, seed: 2).Should().BeGreaterThanOrEqualTo(0.85, "measured 98% at 100 samples");

    [Fact]
    public void ConditionalImageToImage_AtMidNoise_ReachesTheTarget()
        => Measure.MeasureImg2Img(Count, seed: 3, startIndex: 10).Should().BeGreaterThanOrEqualTo(0.85, "measured 100% at 100 samples");

    /// <remarks>
    /// The floor is the quick model's own: the preset trains in bfloat16 only on CPUs that compute it natively
    /// (<see cref="MnistRecipes.QuickPrecision"/>), and the float32-trained model reads as both digits less often. The
    /// bfloat16 model differs by CPU as well (oneDNN accumulates in another order on each), so its floor sits below
    /// the lowest rate measured across the machines CI runs on.
    /// </remarks>
    [Fact]
    public void RotationAnagram_ReadsAs6UprightAnd9Rotated()
    {
        var (floor, because) = MnistRecipes.QuickPrecision == TrainingPrecision.BFloat16
            ? (0.6, "measured 99% at 100 samples on the bfloat16-trained quick model on an Intel Xeon, 78% at 50 on an AMD EPYC (Zen 5)")
            : (0.35, "measured 54% at 100 samples on the float32-trained quick model (AVX2-only AMD EPYC)");
        Measure.MeasureAnagram(6, 9, View.Rotate180, Count, seed: 4).Should().BeGreaterThanOrEqualTo(floor, because);
    }

    [Fact]
    public void FlipAnagram_ReadsAs2UprightAnd5Flipped()
        => Measure.MeasureAnagram(2, 5, View.FlipVertical, Count, seed: 5).Should().BeGreaterThanOrEqualTo(0.8, "measured 100% at 50 samples");

    [Fact]
    public void Hybrid_ReadsAs0FromAfarAnd7UpClose()
        => Measure.MeasureHybrid(0, 7, Count, seed: 6).Should().BeGreaterThanOrEqualTo(0.3, "measured 62% at 50 samples");

    [Fact]
    public void Inpainting_KeepsTheKnownRegion_ExactlyTheNoisedOriginal_AtEveryStep()
    {
        var partA = new MnistPartA(fixture.Model);
        using var scope = NewDisposeScope();
        var (sources, labels) = Measure.Sources(4);
        var mask = MnistPartA.LowerHalfMask();
        var noise = new RecordingNoiseSource(new Generator(9, CPU));
        using var run = partA.Inpainting(sources, mask, labels).CaptureTrajectory().Run(new DiffusionRunOptions { NoiseSource = noise });
        var keep = (1 - mask).to(ScalarType.Bool).expand(4, 1, 28, 28);
        run.Trajectory.Should().HaveCount(29);
        // Each step draws the sampler's noise, then the hook's noise for the original; the frame's kept region must
        // be exactly √ᾱ_t x_orig + √(1 − ᾱ_t) ε with that second draw.
        for (int k = 0; k < run.Trajectory.Count; k++)
        {
            var frame = run.Trajectory[k];
            var hookNoise = noise.Draws[1 + 2 * k + 1];
            var expected = ForwardProcess.AddNoise(partA.Process, sources, hookNoise, frame.Timestep);
            TensorAssert.BitIdentical(frame.Sample.masked_select(keep), expected.masked_select(keep), $"step {k}, t={frame.Timestep}");
        }
    }

    [Fact]
    public void EveryChain_IsDeterministicPerSeed()
    {
        var partA = new MnistPartA(fixture.Model);
        using var scope = NewDisposeScope();
        var (sources, _) = Measure.Sources(2);
        TensorAssert.BitIdentical(partA.Sdedit(sources, 5, [3, 3], 11), partA.Sdedit(sources, 5, [3, 3], 11));
        TensorAssert.BitIdentical(partA.Anagram(6, 9, View.Rotate180, 2, 12), partA.Anagram(6, 9, View.Rotate180, 2, 12));
        TensorAssert.BitIdentical(partA.Hybrid(0, 7, 2, 13), partA.Hybrid(0, 7, 2, 13));
        TensorAssert.MaxAbsDiff(partA.Hybrid(0, 7, 2, 13), partA.Hybrid(0, 7, 2, 14)).Should().BeGreaterThan(0.01);
    }

    private sealed class RecordingNoiseSource(Generator generator) : INoiseSource
    {
        private readonly GeneratorNoiseSource _inner = new(generator);

        public List<Tensor> Draws { get; } = [];

        public Tensor Next(long[] shape, ScalarType dtype, Device device)
        {
            var t = _inner.Next(shape, dtype, device);
            Draws.Add(t.clone().DetachFromDisposeScope());
            return t;
        }
    }
}
