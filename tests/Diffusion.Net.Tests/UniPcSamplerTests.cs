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
/// UniPC beyond the recorded diffusers trajectories: typed rejections, closed-form predictors (a point mass lands on its
/// image; Gaussian data keeps its mean and std, and its probability-flow ODE has a closed-form endpoint to measure the
/// order of accuracy against), and UniP-2 (bh2) without the corrector being DPM-Solver++(2M).
/// </summary>
public class UniPcSamplerTests
{
    private const double Mu = 0.4, S = 0.3;

    private static readonly NoiseSchedule Linear1000 = NoiseSchedules.Linear(1e-4, 0.02, 1000);

    private static Tensor KnownImage(long seed, int channels = 1, int size = 8)
    {
        using var g = new Generator((ulong)seed, CPU);
        return rand([1, channels, size, size], generator: g) * 2 - 1;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(-1)]
    public void Options_RejectAnOrderTheSamplerLacks(int order)
        => FluentActions.Invoking(() => new UniPcSampler(new UniPcOptions { Order = order }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Order").WithMessage("*orders 1 to 3*");

    [Fact]
    public void Options_RejectAnUnknownSolverType()
        => FluentActions.Invoking(() => new UniPcSampler(new UniPcOptions { SolverType = (UniPcSolverType)7 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("SolverType").WithMessage("*bh1, bh2*");

    [Fact]
    public void Options_RejectWhatTheNoisePredictionUpdateCannotDo()
    {
        FluentActions.Invoking(() => new UniPcSampler(new UniPcOptions { PredictX0 = false }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("FinalSigma").WithMessage("*σ = 0*SigmaMin*");
        FluentActions.Invoking(() => new UniPcSampler(new UniPcOptions { PredictX0 = false, FinalSigma = FinalSigma.SigmaMin, Thresholding = true }))
            .Should().Throw<ArgumentException>().WithParameterName("PredictX0").WithMessage("*Thresholding*PredictX0*");
        FluentActions.Invoking(() => new UniPcSampler(new UniPcOptions { DisableCorrector = [2, -1] }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("DisableCorrector");
        FluentActions.Invoking(() => new UniPcSampler(new UniPcOptions { DisableCorrector = null! }))
            .Should().Throw<ArgumentNullException>().WithParameterName("DisableCorrector");
        FluentActions.Invoking(() => new UniPcSampler(new UniPcOptions { FinalSigma = (FinalSigma)5 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("FinalSigma");
    }

    [Fact]
    public void Validate_RejectsFewerStepsThanTheOrder()
    {
        var sampler = new UniPcSampler(new UniPcOptions { Order = 3 });
        FluentActions.Invoking(() => sampler.Validate(sampler.CreateSchedule(Linear1000, 2), PredictionKind.Epsilon))
            .Should().Throw<ArgumentException>().WithParameterName("schedule").WithMessage("*order 3 needs at least 3 steps*has 2*");
        sampler.Validate(sampler.CreateSchedule(Linear1000, 3), PredictionKind.Epsilon);
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 4, 4).Denoise(new GaussianDataPredictor(Linear1000, Mu, S), 2, Condition.None)
                .WithSampler(sampler).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*at least 3 steps*");
    }

    [Fact]
    public void Validate_RejectsSchedulesTheUpdateCannotWalk()
    {
        var sampler = new UniPcSampler();
        var flow = new RectifiedFlow(1000);
        FluentActions.Invoking(() => sampler.CreateSchedule(flow, 10))
            .Should().Throw<ArgumentException>().WithParameterName("process").WithMessage("*discrete schedule*α = 0*");
        FluentActions.Invoking(() => sampler.Validate(SigmaSchedule.Flow(flow, 10), PredictionKind.FlowVelocity))
            .Should().Throw<ArgumentException>().WithParameterName("schedule").WithMessage("*level 0*α = 0*");
        FluentActions.Invoking(() => sampler.Validate(sampler.CreateSchedule(Linear1000, 10), PredictionKind.FlowVelocity))
            .Should().Throw<ArgumentException>().WithMessage("*flow velocity*rectified-flow*");
        var noisePrediction = new UniPcSampler(new UniPcOptions { PredictX0 = false, FinalSigma = FinalSigma.SigmaMin });
        noisePrediction.Validate(noisePrediction.CreateSchedule(Linear1000, 10), PredictionKind.Epsilon);
        FluentActions.Invoking(() => noisePrediction.Validate(sampler.CreateSchedule(Linear1000, 10), PredictionKind.Epsilon))
            .Should().Throw<ArgumentException>().WithMessage("*clean data*SigmaMin*");
    }

    [Fact]
    public void Describes_ItsOptions()
    {
        new UniPcSampler().ToString().Should().Be("UniPC(2, bh2)");
        new UniPcSampler(new UniPcOptions { Order = 3, SolverType = UniPcSolverType.Bh1, KarrasSigmas = true, Thresholding = true, ThresholdingRatio = 0.95, SampleMaxValue = 1.5 })
            .ToString().Should().Be("UniPC(3, bh1, Karras, thresholding 0.95/1.5)");
    }

    public static TheoryData<int, UniPcSolverType, PredictionKind, string> PointMassCases() => new()
    {
        { 1, UniPcSolverType.Bh1, PredictionKind.Epsilon, "" },
        { 1, UniPcSolverType.Bh2, PredictionKind.Epsilon, "" },
        { 2, UniPcSolverType.Bh1, PredictionKind.Epsilon, "" },
        { 2, UniPcSolverType.Bh2, PredictionKind.Epsilon, "" },
        { 3, UniPcSolverType.Bh1, PredictionKind.Epsilon, "" },
        { 3, UniPcSolverType.Bh2, PredictionKind.Epsilon, "" },
        { 2, UniPcSolverType.Bh2, PredictionKind.Velocity, "" },
        { 3, UniPcSolverType.Bh1, PredictionKind.Sample, "" },
        { 3, UniPcSolverType.Bh1, PredictionKind.Epsilon, "no-lower-order-final" },
        { 3, UniPcSolverType.Bh2, PredictionKind.Epsilon, "karras" },
        { 2, UniPcSolverType.Bh2, PredictionKind.Epsilon, "thresholding" },
        { 2, UniPcSolverType.Bh1, PredictionKind.Epsilon, "no-corrector-early" },
    };

    [Theory]
    [MemberData(nameof(PointMassCases))]
    public void PointMass_TenSteps_LandOnTheKnownImage(int order, UniPcSolverType type, PredictionKind kind, string variant)
    {
        // x̂_0 = x* at every step, so the last step (to clean data, first order) returns x* exactly: bh1's B(h) = −h is
        // infinite there and must not turn the vanishing residual into NaN, nor may an order-3 last step (no lower-order final).
        var sampler = new UniPcSampler(new UniPcOptions
        {
            Order = order,
            SolverType = type,
            LowerOrderFinal = variant != "no-lower-order-final",
            KarrasSigmas = variant == "karras",
            Thresholding = variant == "thresholding",
            ThresholdingRatio = 0.95,
            SampleMaxValue = 1.5,
            DisableCorrector = variant == "no-corrector-early" ? [0, 1, 2] : [],
        });
        using var target = KnownImage(1);
        var model = new PointMassPredictor(NoiseSchedules.Linear(1e-4, 0.02, 300), target, kind: kind);
        using var result = DiffusionPipeline.FromNoise(4, 1, 8, 8)
            .Denoise(model, 10, Condition.None)
            .WithSampler(sampler)
            .Run(seed: 3);
        TensorAssert.Close(result, target.expand(4, -1, -1, -1), 1e-4, because: $"{sampler} lands on x*");
        model.Calls.Should().Be(10);
    }

    [Theory]
    [InlineData(1, UniPcSolverType.Bh1)]
    [InlineData(2, UniPcSolverType.Bh2)]
    [InlineData(3, UniPcSolverType.Bh1)]
    public void PointMass_NoisePrediction_EndsOnTheOdeSolutionAtSigmaMin(int order, UniPcSolverType type)
    {
        // For a point mass ε̂ = (x − α x*)/σ stays the initial ε along the ODE and the update is exact at any order:
        // x at the last level (t = 0) is α_0 x* + σ_0 ε.
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 300);
        var sampler = new UniPcSampler(new UniPcOptions { Order = order, SolverType = type, PredictX0 = false, FinalSigma = FinalSigma.SigmaMin });
        using var target = KnownImage(4);
        using var g = new Generator(9, CPU);
        using var start = randn([4, 1, 8, 8], generator: g);
        var levels = sampler.CreateSchedule(schedule, 10);
        var (first, last) = (levels.First, levels.Last);
        using var eps = (start - target * first.Alpha) / first.Sigma;
        using var expected = target * last.Alpha + eps * last.Sigma;
        var model = new PointMassPredictor(schedule, target);
        using var result = DiffusionPipeline.From(start).Denoise(model, levels, Condition.None).WithSampler(sampler).Run();
        TensorAssert.Close(result, expected, 1e-5, because: $"{sampler} at σ_min");
        TensorAssert.MaxAbsDiff(result, target.expand(4, -1, -1, -1)).Should().BeGreaterThan(1e-2, "the run ends at σ_0 ≈ 0.01, not on clean data");
    }

    [Theory]
    [InlineData(UniPcSolverType.Bh1)]
    [InlineData(UniPcSolverType.Bh2)]
    public void GaussianData_TwentySteps_ReproduceMeanAndStd(UniPcSolverType type)
    {
        // Karras σ: on the default linspace grid the last level before clean data is t = 53, and E[x_0 | x_53] has std
        // 0.85 s whatever the solver. Order 3, diffusers' recommendation for unconditional sampling.
        var model = new GaussianDataPredictor(Linear1000, Mu, S);
        var sampler = new UniPcSampler(new UniPcOptions { Order = 3, SolverType = type, KarrasSigmas = true });
        using var x = DiffusionPipeline.FromNoise(16, 1, 64, 64)
            .Denoise(model, 20, Condition.None)
            .WithSampler(sampler)
            .Run(seed: 11);
        double mean = x.mean().item<float>(), std = x.std().item<float>();
        // N = 65,536 samples: the standard error of the mean is s/√N = 0.0012 and of the std s/√(2N) = 0.0008; allow 5
        // of each, plus 2% of s for 20 steps' discretisation (the closed-form endpoint below measures about 1.2%; without
        // the corrector it is 4%, with order 1 −8%).
        mean.Should().BeApproximately(Mu, 5 * S / Math.Sqrt(x.numel()), $"the sample mean of {sampler}");
        std.Should().BeApproximately(S, 5 * S / Math.Sqrt(2.0 * x.numel()) + 0.02 * S, $"the sample std of {sampler}");
    }

    /// <summary>
    /// The probability-flow ODE of i.i.d. Gaussian pixels N(μ, s²) keeps each pixel's standard score u = (x − α μ)/c,
    /// c = √(α² s² + σ²): from x at the first level it ends on μ + s u. Returns the largest deviation of a float64 run.
    /// </summary>
    private static double EndpointError(ISampler sampler, int steps)
    {
        var model = new GaussianDataPredictor(Linear1000, Mu, S);
        var schedule = sampler.CreateSchedule(Linear1000, steps);
        using var g = new Generator(7, CPU);
        using var start = randn([4, 1, 16, 16], ScalarType.Float64, CPU, generator: g);
        var first = schedule.First;
        double c = Math.Sqrt(first.Alpha * first.Alpha * S * S + first.Sigma * first.Sigma);
        using var exact = (start - first.Alpha * Mu) / c * S + Mu;
        using var result = DiffusionPipeline.From(start).Denoise(model, schedule, Condition.None).WithSampler(sampler)
            .Run(new DiffusionRunOptions { DType = ScalarType.Float64 }).TakeSample();
        return TensorAssert.MaxAbsDiff(result, exact);
    }

    [Theory]
    [InlineData(UniPcSolverType.Bh1)]
    [InlineData(UniPcSolverType.Bh2)]
    public void GaussianData_TheCorrectorRaisesTheOrderOfAccuracy(UniPcSolverType type)
    {
        // UniP-1 is first order (4× the steps: about 4× less error); UniC-1 on top makes it second order (about 16×).
        // Measured on Karras σ: 3.8× without the corrector, 16× (bh1) and 13× (bh2) with it.
        UniPcSampler Sampler(bool corrector, int steps) => new(new UniPcOptions
        {
            Order = 1, SolverType = type, KarrasSigmas = true, DisableCorrector = corrector ? [] : Enumerable.Range(0, steps).ToArray(),
        });
        double predictorOnly = EndpointError(Sampler(false, 20), 20) / EndpointError(Sampler(false, 80), 80);
        double corrected = EndpointError(Sampler(true, 20), 20) / EndpointError(Sampler(true, 80), 80);
        predictorOnly.Should().BeInRange(3, 5, "UniP-1 is DDIM, first order");
        corrected.Should().BeGreaterThan(8, "UniPC-1 is second order");
        // Measured: 0.36× (bh1) and 0.55× (bh2) the predictor-only error.
        EndpointError(Sampler(true, 20), 20).Should().BeLessThan(0.7 * EndpointError(Sampler(false, 20), 20), "the corrector helps at 20 steps already");
    }

    [Fact]
    public void PredictorOfOrderTwo_WithoutTheCorrector_IsDpmSolverPlusPlus2M()
    {
        // With ρ = ½, B(h) = e^{−h} − 1 and D_1 = (m_1 − m_0)/r_1, UniP-2 is DPM-Solver++(2M)'s midpoint step; from 15
        // steps on both take first-order steps only at the start and the end.
        var model = new GaussianDataPredictor(Linear1000, Mu, S);
        var unipc = new UniPcSampler(new UniPcOptions { KarrasSigmas = true, DisableCorrector = Enumerable.Range(0, 20).ToArray() });
        var dpm = new DpmSolverSampler(new DpmSolverOptions { KarrasSigmas = true });
        using var g = new Generator(5, CPU);
        using var start = randn([2, 1, 8, 8], ScalarType.Float64, CPU, generator: g);
        Tensor Sample(ISampler sampler) => DiffusionPipeline.From(start).Denoise(model, sampler.CreateSchedule(Linear1000, 20), Condition.None)
            .WithSampler(sampler).Run(new DiffusionRunOptions { DType = ScalarType.Float64 }).TakeSample();
        using var a = Sample(unipc);
        using var b = Sample(dpm);
        TensorAssert.Close(a, b, 1e-10, because: "UniP-2 (bh2) is DPM-Solver++(2M)");
        using var corrected = Sample(new UniPcSampler(new UniPcOptions { KarrasSigmas = true }));
        TensorAssert.MaxAbsDiff(corrected, b).Should().BeGreaterThan(1e-3, "the corrector changes the trajectory");
    }
}
