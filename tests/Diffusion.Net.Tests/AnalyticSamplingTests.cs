using Diffusion.Net.Guidance;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

/// <summary>
/// End-to-end sampling with closed-form optimal predictors (no training): for a single known image x* the optimal
/// ε* makes x̂_0 = x* at every step, so every sampler must land on x*; for Gaussian data N(μ, s²) the samples must
/// reproduce μ and s.
/// </summary>
public class AnalyticSamplingTests
{
    private static Tensor KnownImage(long seed, int channels = 1, int size = 8)
    {
        using var g = new Generator((ulong)seed, CPU);
        return rand([1, channels, size, size], generator: g) * 2 - 1;
    }

    public static TheoryData<string> SamplerNames() => new() { "ddpm-fixed-large", "ddpm-fixed-small", "ddpm-learned-range", "ddim-0", "ddim-1" };

    private static ISampler Create(string name) => name switch
    {
        "ddpm-fixed-large" => Samplers.Ddpm(DdpmVariance.FixedLarge),
        "ddpm-fixed-small" => Samplers.Ddpm(DdpmVariance.FixedSmall),
        "ddpm-learned-range" => Samplers.Ddpm(DdpmVariance.LearnedRange),
        "ddim-0" => Samplers.Ddim(0),
        _ => Samplers.Ddim(1),
    };

    [Theory]
    [MemberData(nameof(SamplerNames))]
    public void FullChain_Cs180PartB_LandsOnTheKnownImage(string sampler)
    {
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 300);
        using var target = KnownImage(1);
        using var v = tensor(0.3f);
        var model = new PointMassPredictor(schedule, target, varianceValue: v);
        using var result = DiffusionPipeline.FromNoise(4, 1, 8, 8)
            .Denoise(model, Timesteps.All(300), Condition.None)
            .WithSampler(Create(sampler))
            .Run(seed: 3);
        TensorAssert.Close(result, target.expand(4, -1, -1, -1), 1e-4, because: "the last step to clean data returns x̂0 = x*");
        model.Calls.Should().Be(300);
    }

    [Theory]
    [MemberData(nameof(SamplerNames))]
    public void StridedCosineChain_Cs180PartA_LandsOnTheKnownImage_UpToTheNoiseAtT0(string sampler)
    {
        var schedule = NoiseSchedules.SquaredCosCapV2();
        using var target = KnownImage(2, channels: 3);
        using var v = tensor(-0.2f);
        var model = new PointMassPredictor(schedule, target, varianceValue: v);
        using var result = DiffusionPipeline.FromNoise(2, 3, 8, 8)
            .Denoise(model, Timesteps.Strided(), Condition.None)
            .WithSampler(Create(sampler))
            .Run(seed: 5);
        // The strided loop stops at t = 0 (CS180 §1.4), so the result still carries the 30 → 0 step's noise, whose
        // std is at most √β = √(1 − ᾱ_30/ᾱ_0) ≈ 0.06 (fixed-large variance): allow 5σ.
        double tolerance = 5 * Math.Sqrt(1 - schedule.AlphaBar(30) / schedule.AlphaBar(0)) + 1e-4;
        TensorAssert.Close(result, target.expand(2, -1, -1, -1), tolerance);
        model.Calls.Should().Be(33);
    }

    [Theory]
    [InlineData("ddpm-fixed-large", 1000)]
    [InlineData("ddpm-fixed-small", 1000)]
    [InlineData("ddim-0", 100)]
    [InlineData("ddim-1", 250)]
    public void GaussianData_SamplesReproduceMeanAndStd(string sampler, int steps)
    {
        const double mu = 0.4, s = 0.3;
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 1000);
        var model = new GaussianDataPredictor(schedule, mu, s);
        var timesteps = steps == 1000 ? Timesteps.All(1000) : Timesteps.Leading(steps, 1000);
        using var x = DiffusionPipeline.FromNoise(16, 1, 64, 64)
            .Denoise(model, schedule, timesteps, Condition.None)
            .WithSampler(Create(sampler))
            .Run(seed: 11);
        double mean = x.mean().item<float>(), std = x.std().item<float>();
        // 65,536 samples: the standard error of the mean is 0.0012; tolerances leave room for discretisation.
        mean.Should().BeApproximately(mu, 0.01, $"the sample mean of {sampler}");
        std.Should().BeApproximately(s, 0.03 * s + 0.005, $"the sample std of {sampler}");
    }

    [Fact]
    public void ClassifierFreeGuidance_OfTwoPointMasses_IsThePointMassOfTheExtrapolation()
    {
        // ε_u + γ(ε_c − ε_u) with ε_k = (x_t − √ᾱ x_k)/√(1 − ᾱ) is the optimal predictor of x_u + γ(x_c − x_u).
        using var masses = new TwoPointMasses();
        using var result = masses.Sample(Guide.ClassifierFree(5));
        TensorAssert.Close(result, masses.Extrapolated, 1e-3);
        var model = masses.Model;
        model.Calls.Should().Be(300, "CFG runs conditional and unconditional in one forward pass");
        model.BatchSizes.Should().AllSatisfy(b => b.Should().Be(4, "the batch is [uncond; cond]"));
    }

    [Fact]
    public void ClassifierFreeGuidance_TakesTheVarianceFromTheConditionalHalf()
    {
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 300);
        using var scope = NewDisposeScope();
        var model = new LabelEchoPredictor();
        using var x = zeros(2, 1, 2, 2);
        using var t = tensor(new long[] { 10, 10 });
        using var p = Guide.ClassifierFree(3).Guide(model, x, t, Condition.Classes(4, 7));
        p.Variance!.select(1, 0).select(1, 0).select(1, 0).data<float>().ToArray().Should().Equal(4f, 7f);
        // ε rows: u = −1 (null class), c = label; guided = −1 + 3(label + 1).
        p.Output.select(1, 0).select(1, 0).select(1, 0).data<float>().ToArray().Should().Equal(14f, 23f);
    }

    [Theory]
    [InlineData(0, 150, true)]     // the last steps are guided: the run ends on the extrapolation
    [InlineData(100, 299, false)]  // the last 100 steps are not: it ends on the conditional image
    public void IntervalGuidance_GuidesOnlyInsideItsTimesteps_AndSkipsTheUnconditionalPassOutside(long min, long max, bool endsGuided)
    {
        // With point masses, x̂_0 of the last step is the target of that step's predictor, whatever came before.
        using var masses = new TwoPointMasses();
        using var result = masses.Sample(Guide.ClassifierFree(5).Within(min, max));
        TensorAssert.Close(result, endsGuided ? masses.Extrapolated : masses.Classes, 1e-3);
        var model = masses.Model;
        model.Calls.Should().Be(300, "one forward pass per step either way");
        long guidedSteps = max - min + 1;
        model.BatchSizes.Count(b => b == 4).Should().Be((int)guidedSteps, "[uncond; cond] inside the interval");
        model.BatchSizes.Count(b => b == 2).Should().Be(300 - (int)guidedSteps, "the conditional batch alone outside it");
    }

    [Fact]
    public void IntervalGuidance_GuidesRowByRow_WhenTheBatchMixesTimesteps()
    {
        using var scope = NewDisposeScope();
        var model = new LabelEchoPredictor();
        using var x = zeros(3, 1, 2, 2);
        using var t = tensor(new long[] { 10, 200, 150 });
        using var p = Guide.Interval(Guide.ClassifierFree(3), 0, 150).Guide(model, x, t, Condition.Classes(4, 7, 2));
        // Guided rows: −1 + 3(label + 1); the row at t = 200 keeps its conditional ε and variance.
        p.Output.select(1, 0).select(1, 0).select(1, 0).data<float>().ToArray().Should().Equal(14f, 7f, 8f);
        p.Variance!.select(1, 0).select(1, 0).select(1, 0).data<float>().ToArray().Should().Equal(4f, 7f, 2f);
    }

    [Fact]
    public void IntervalGuidance_RejectsAnEmptyOrNegativeInterval()
    {
        var cfg = Guide.ClassifierFree(5);
        FluentActions.Invoking(() => cfg.Within(10, 9)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[10, 9]*empty*");
        FluentActions.Invoking(() => cfg.Within(-1, 9)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("minTimestep");
        FluentActions.Invoking(() => Guide.Interval(null!, 0, 9)).Should().Throw<ArgumentNullException>();
        cfg.Within(0, 150).ToString().Should().Be("CFG(γ=5) for t in [0, 150]");
    }

    /// <summary>Two class images and an unconditional one as point masses; γ = 5 extrapolates to x_u + 5(x_c − x_u).</summary>
    private sealed class TwoPointMasses : IDisposable
    {
        public TwoPointMasses()
        {
            Classes = cat([KnownImage(21), KnownImage(22)], 0);
            Unconditional = KnownImage(23);
            Model = new PointMassPredictor(NoiseSchedules.Linear(1e-4, 0.02, 300), Classes, Unconditional);
            Extrapolated = Unconditional + (Classes - Unconditional) * 5.0;
        }

        public Tensor Classes { get; }

        public Tensor Unconditional { get; }

        public Tensor Extrapolated { get; }

        public PointMassPredictor Model { get; }

        /// <summary>Both classes from the same noise, all 300 steps.</summary>
        public Tensor Sample(IGuidance guidance) => DiffusionPipeline.FromNoise(2, 1, 8, 8)
            .Denoise(Model, Timesteps.All(300), Condition.Classes(0, 1))
            .WithGuidance(guidance)
            .Run(seed: 1);

        public void Dispose()
        {
            Classes.Dispose();
            Unconditional.Dispose();
            Extrapolated.Dispose();
        }
    }

    /// <summary>ε = label value (−1 for the null class), variance = label value.</summary>
    private sealed class LabelEchoPredictor : INoisePredictor
    {
        public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
        {
            var labels = ((ClassCondition)condition).Labels.Select(l => (float)l).ToArray();
            var v = tensor(labels).reshape(-1, 1, 1, 1).expand_as(sample).contiguous();
            return new ModelPrediction(v.clone(), variance: v);
        }
    }
}
