using Diffusion.Net.Guidance;
using Diffusion.Net.Imaging;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Techniques;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using Diffusion.Net.Views;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

/// <summary>
/// The sampling engine beyond diffusers parity: the continuous time axis, the output-kind conversions, the fast samplers
/// against closed-form optimal predictors, rectified flow through every Part A technique, per-run state and its memory,
/// and the typed errors bad settings get before any tensor is touched.
/// </summary>
public class SamplingEngineTests
{
    private static readonly NoiseSchedule Mnist = NoiseSchedules.Linear(1e-4, 0.02, 300);

    private static Tensor KnownImage(long seed, int channels = 1, int size = 8)
    {
        using var g = new Generator((ulong)seed, CPU);
        return rand([1, channels, size, size], generator: g) * 2 - 1;
    }

    public static TheoryData<string> FastSamplers() => new() { "dpm++2m", "dpm++3m", "dpm++2m-karras", "dpm++2m-sde", "dpm-solver-2m", "dpm++2m-heun" };

    private static ISampler Create(string name) => name switch
    {
        "dpm++2m" => Samplers.DpmSolverPlusPlus(),
        "dpm++3m" => Samplers.DpmSolverPlusPlus(3),
        "dpm++2m-karras" => Samplers.DpmSolverPlusPlus(karrasSigmas: true),
        "dpm++2m-sde" => Samplers.SdeDpmSolverPlusPlus(),
        "dpm-solver-2m" => Samplers.DpmSolver(),
        _ => Samplers.DpmSolver(new DpmSolverOptions { SolverType = DpmSolverType.Heun }),
    };

    [Fact]
    public void DiscreteSchedule_TimeAxis_IsTheTableAtIntegers_InterpolatesBetween_AndInvertsThroughLogSigma()
    {
        var t100 = Mnist.At(100);
        t100.Alpha.Should().BeApproximately(Math.Sqrt(Mnist.AlphaBar(100)), 1e-15);
        t100.Sigma.Should().BeApproximately(Math.Sqrt(1 - Mnist.AlphaBar(100)), 1e-15);
        t100.NoiseToSignal.Should().BeApproximately(t100.Sigma / t100.Alpha, 1e-12);
        Mnist.At(-1).Should().Be(NoiseLevel.Clean(-1));
        // Between entries σ/α is linear in t (diffusers' np.interp); α² + σ² stays 1.
        var mid = Mnist.At(100.25);
        mid.NoiseToSignal.Should().BeApproximately(0.75 * Mnist.At(100).NoiseToSignal + 0.25 * Mnist.At(101).NoiseToSignal, 1e-12);
        (mid.Alpha * mid.Alpha + mid.Sigma * mid.Sigma).Should().BeApproximately(1, 1e-12);
        // The inverse lands on the table's own timesteps, and between them for σ in between.
        Mnist.AtNoiseToSignal(Mnist.At(137).NoiseToSignal).Timestep.Should().BeApproximately(137, 1e-9);
        double between = Mnist.AtNoiseToSignal(Math.Sqrt(Mnist.At(137).NoiseToSignal * Mnist.At(138).NoiseToSignal)).Timestep;
        between.Should().BeInRange(137, 138);
        FluentActions.Invoking(() => Mnist.At(299.5)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 299]*");
        FluentActions.Invoking(() => Mnist.At(double.NaN)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void RectifiedFlow_IsAStraightPath_WithDiffusersTimeAxis()
    {
        var flow = new RectifiedFlow();
        var l = flow.At(250);
        (l.Alpha, l.Sigma, l.NoiseToSignal).Should().Be((0.75, 0.25, 0.25 / 0.75));
        flow.At(1000).NoiseToSignal.Should().Be(double.PositiveInfinity);
        flow.At(0).IsClean.Should().BeTrue();
        flow.AtNoiseToSignal(1).Timestep.Should().BeApproximately(500, 1e-9);
        FluentActions.Invoking(() => flow.At(1001)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 1000]*");
        using var scope = NewDisposeScope();
        var x0 = randn(2, 1, 4, 4);
        var eps = randn(2, 1, 4, 4);
        TensorAssert.Close(ForwardProcess.AddNoise(flow, x0, eps, 250), x0 * 0.75 + eps * 0.25, 1e-7, because: "x = (1 − σ) x0 + σ ε");
    }

    [Theory]
    [InlineData(PredictionKind.Sample)]
    [InlineData(PredictionKind.Velocity)]
    [InlineData(PredictionKind.Epsilon)]
    public void PredictionConversion_RoundTripsEveryKind_OnAVariancePreservingLevel(PredictionKind kind)
    {
        using var scope = NewDisposeScope();
        var level = Mnist.At(120);
        var x0 = randn(2, 1, 4, 4);
        var eps = randn(2, 1, 4, 4);
        var x = ForwardProcess.AddNoise(level, x0, eps);
        var output = kind switch
        {
            PredictionKind.Sample => x0.clone(),
            PredictionKind.Velocity => eps * level.Alpha - x0 * level.Sigma,
            _ => eps.clone(),
        };
        using var p = new ModelPrediction(output, kind);
        TensorAssert.Close(p.ToOriginal(x, level), x0, 2e-5);
        TensorAssert.Close(p.ToEpsilon(x, level), eps, 2e-5);
        TensorAssert.Close(PredictionConversion.Convert(p, PredictionKind.Velocity, x, level), eps * level.Alpha - x0 * level.Sigma, 2e-5);
    }

    [Fact]
    public void PredictionConversion_ReadsAFlowVelocity_OnARectifiedFlowLevel_AndRefusesItOnADiscreteSchedule()
    {
        using var scope = NewDisposeScope();
        var flow = new RectifiedFlow();
        var level = flow.At(400);
        var x0 = randn(2, 1, 4, 4);
        var eps = randn(2, 1, 4, 4);
        var x = ForwardProcess.AddNoise(level, x0, eps);
        using var p = new ModelPrediction(eps - x0, PredictionKind.FlowVelocity);
        TensorAssert.Close(p.ToOriginal(x, level), x0, 1e-6);
        TensorAssert.Close(p.ToEpsilon(x, level), eps, 1e-6);
        FluentActions.Invoking(() => PredictionConversion.CheckFits(PredictionKind.FlowVelocity, Mnist)).Should().Throw<ArgumentException>().WithMessage("*flow velocity*rectified-flow*");
        FluentActions.Invoking(() => PredictionConversion.CheckFits(PredictionKind.Velocity, flow)).Should().Throw<ArgumentException>().WithMessage("*v-prediction*variance-preserving*");
    }

    [Theory]
    [MemberData(nameof(FastSamplers))]
    public void FastSampler_InTenSteps_LandsOnTheKnownImage(string name)
    {
        using var target = KnownImage(1);
        var model = new PointMassPredictor(Mnist, target);
        using var result = DiffusionPipeline.FromNoise(3, 1, 8, 8)
            .Denoise(model, 10, Condition.None)
            .WithSampler(Create(name))
            .Run(seed: 4);
        // ε-space DPM-Solver ends at σ_min (t = 0) rather than on clean data: α ≈ 1, σ ≈ 0.01.
        double tolerance = name == "dpm-solver-2m" ? 0.05 : 1e-4;
        TensorAssert.Close(result, target.expand(3, -1, -1, -1), tolerance, because: $"{name} ends on x̂0 = x*");
        model.Calls.Should().Be(10);
    }

    [Theory]
    [InlineData(PredictionKind.Sample)]
    [InlineData(PredictionKind.Velocity)]
    public void DpmSolverPlusPlus_ReadsEveryOutputKind_Alike(PredictionKind kind)
    {
        using var target = KnownImage(2);
        Tensor Run(PredictionKind k) => DiffusionPipeline.FromNoise(2, 1, 8, 8)
            .Denoise(new PointMassPredictor(Mnist, target, kind: k), 12, Condition.None)
            .WithSampler(Samplers.DpmSolverPlusPlus())
            .CaptureTrajectory()
            .Run(new DiffusionRunOptions { Seed = 8 })
            .Trajectory[5].Sample.clone();
        using var fromEpsilon = Run(PredictionKind.Epsilon);
        using var fromKind = Run(kind);
        TensorAssert.Close(fromKind, fromEpsilon, 1e-5, because: "the same model, answering as another kind, gives the same trajectory");
    }

    [Theory]
    [InlineData("dpm++2m", 20)]
    [InlineData("dpm++3m", 20)]
    [InlineData("dpm++2m-sde", 100)]
    public void FastSampler_OnGaussianData_EndsOnThePosteriorMeanOfItsLastNoisyLevel(string name, int steps)
    {
        // Data N(μ, s²). The solver carries the exact marginal down to its last noisy level (α, σ); the last step to
        // σ = 0 returns E[x0 | x] = μ + α s² (x − α μ)/(α² s² + σ²), whose std is α s²/√(α² s² + σ²): 0.257, not s = 0.3,
        // for diffusers' grid that stops at t = 50 of 1000. (B.4's 1000 DDPM steps end on s itself: AnalyticSamplingTests.)
        const double mu = 0.4, s = 0.3;
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 1000);
        var sampler = Create(name);
        var last = sampler.CreateSchedule(schedule, steps)[steps - 1];
        double a = last.Alpha, sigma = last.Sigma;
        double expectedStd = a * s * s / Math.Sqrt(a * a * s * s + sigma * sigma);
        using var x = DiffusionPipeline.FromNoise(16, 1, 64, 64)
            .Denoise(new GaussianDataPredictor(schedule, mu, s), steps, Condition.None)
            .WithSampler(sampler)
            .Run(seed: 11);
        // 65,536 samples: the standard error of the mean is 0.0012, of the std 0.0008. The stochastic solver's marginal
        // also carries its O(h) weak discretisation error, so it gets 4% on the std.
        float stdTolerance = sampler is DpmSolverSampler { Options.Algorithm: DpmSolverAlgorithm.SdeDpmSolverPlusPlus } ? 0.04f * (float)expectedStd : 0.005f;
        x.mean().item<float>().Should().BeApproximately((float)mu, 0.005f, $"the sample mean of {name}");
        x.std().item<float>().Should().BeApproximately((float)expectedStd, stdTolerance, $"the sample std of {name} (expected {expectedStd:0.000})");
    }

    [Fact]
    public void DpmSolverPlusPlus_OnRectifiedFlow_FromPureNoise_LandsOnTheKnownImage()
    {
        using var target = KnownImage(3);
        var flow = new RectifiedFlow();
        var model = new PointMassPredictor(flow, target, kind: PredictionKind.FlowVelocity);
        var pipeline = DiffusionPipeline.FromNoise(2, 1, 8, 8).Denoise(model, 10, Condition.None).WithSampler(Samplers.DpmSolverPlusPlus());
        using var result = pipeline.Run(seed: 2);
        TensorAssert.Close(result, target.expand(2, -1, -1, -1), 1e-4);
        model.Timesteps[0].Should().Be(1000, "a flow grid starts at pure noise, σ = 1");
    }

    [Fact]
    public void PartA_OnARectifiedFlowModel_SdeditInpaintingAndAnagrams()
    {
        using var scope = NewDisposeScope();
        var flow = new RectifiedFlow();
        var images = cat([KnownImage(5), KnownImage(6)], 0);
        var model = new EmpiricalOptimalPredictor(flow, images, labels: [0, 1]);
        var sampler = Samplers.DpmSolverPlusPlus();
        var grid = sampler.CreateSchedule(flow, 20);

        // SDEdit: noise image 0 to level 6 of the grid (x = (1 − σ) x0 + σ ε), denoise from there toward class 0.
        using var edited = DiffusionPipeline.From(images[0].unsqueeze(0)).Noise(grid, 6).Denoise(model, grid.From(6), Condition.Classes(0)).WithSampler(sampler).Run(seed: 1);
        TensorAssert.Close(edited, images[0].unsqueeze(0), 1e-3, because: "the optimal model of a two-image dataset restores image 0");

        // Inpainting with zero noise: the kept region is exactly (1 − σ)·x_orig at every level reached.
        var mask = Masks.Rectangle(8, 8, top: 2, left: 2, height: 4, width: 4);
        using var inpainted = DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(model, grid, Condition.Classes(1)).WithSampler(sampler)
            .Inpaint(images[0].unsqueeze(0), mask).CaptureTrajectory()
            .Run(new DiffusionRunOptions { NoiseSource = FixedNoiseSource.Zeros() });
        var keep = (1 - mask).to(ScalarType.Bool).expand(1, 1, 8, 8);
        foreach (var frame in inpainted.Trajectory)
        {
            var expected = images[0].unsqueeze(0) * (float)flow.At(frame.Timestep).Alpha;
            TensorAssert.Close(frame.Sample.masked_select(keep), expected.masked_select(keep), 1e-6, because: $"the kept region at τ = {frame.Timestep}");
        }

        // Anagram: the composition's prediction is the mean of each view's inverted flow velocity.
        var anagram = View.Average((Condition.Classes(0), View.Identity), (Condition.Classes(1), View.FlipVertical));
        var x = randn(1, 1, 8, 8);
        var call = new ModelCall(0, 1, flow.At(500));
        using var p = anagram.Predict(model, Guide.None, x, call);
        using var t = call.TimestepTensor(1);
        using var e0 = model.Predict(x, t, Condition.Classes(0));
        using var e1 = model.Predict(x.flip(2), t, Condition.Classes(1));
        TensorAssert.Close(p.Output, (e0.Output + e1.Output.flip(2)) / 2, 1e-6);
    }

    [Fact]
    public void MultistepRuns_HoldMemoryFlat_AndReleaseTheirHistory_EvenWhenCancelled()
    {
        using var target = KnownImage(7);
        var model = new PointMassPredictor(Mnist, target);
        var pipeline = DiffusionPipeline.FromNoise(2, 1, 8, 8).Denoise(model, 30, Condition.None).WithSampler(Samplers.SdeDpmSolverPlusPlus());
        var thirdOrder = pipeline.WithSampler(Samplers.DpmSolverPlusPlus(3));
        using (pipeline.Run(seed: 0)) { }
        using (thirdOrder.Run(seed: 0)) { }
        long before = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        for (int i = 1; i <= 3; i++)
        {
            using (pipeline.Run(seed: i)) { }
            using (thirdOrder.Run(seed: i)) { }
        }
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<DiffusionProgress>(p => { if (p.Step == 12) cts.Cancel(); });
        FluentActions.Invoking(() => thirdOrder.Run(new DiffusionRunOptions { Seed = 9 }, progress, cts.Token)).Should().Throw<OperationCanceledException>();
        long after = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        (after - before).Should().BeLessThanOrEqualTo(0, "every run disposes its earlier model outputs, cancelled or not");
    }

    [Fact]
    public void Cancellation_IsCheckedBeforeEveryModelCall()
    {
        using var target = KnownImage(8);
        var model = new PointMassPredictor(Mnist, target);
        using var cts = new CancellationTokenSource();
        var counting = new CancellingPredictor(model, cts, cancelAtCall: 4);
        var pipeline = DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(counting, Mnist, 10, Condition.None).WithSampler(Samplers.DpmSolverPlusPlus());
        FluentActions.Invoking(() => pipeline.Run(seed: 0, cts.Token)).Should().Throw<OperationCanceledException>();
        counting.Calls.Should().Be(4, "no model call is made after the token is cancelled");
    }

    [Fact]
    public void SigmaSchedule_FromTimesteps_MatchesCs180sStridedLoop_AndFromRestarts()
    {
        var strided = SigmaSchedule.FromTimesteps(NoiseSchedules.SquaredCosCapV2(), Timesteps.Strided());
        strided.StepCount.Should().Be(33, "CS180's loop stops at t = 0");
        strided.Last.Timestep.Should().Be(0);
        var full = SigmaSchedule.FromTimesteps(Mnist, Timesteps.All(300));
        full.StepCount.Should().Be(300);
        full.EndsClean.Should().BeTrue();
        full.From(290).StepCount.Should().Be(10);
        FluentActions.Invoking(() => full.From(300)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*at least one step*");
    }

    [Fact]
    public void Karras_IsRhoSpacedBetweenTheTablesEnds()
    {
        var karras = SigmaSchedule.Karras(Mnist, 10);
        karras.StepCount.Should().Be(10);
        karras.First.NoiseToSignal.Should().BeApproximately(Mnist.At(299).NoiseToSignal, 1e-6);
        karras[9].NoiseToSignal.Should().BeApproximately(Mnist.At(0).NoiseToSignal, 1e-6);
        karras.EndsClean.Should().BeTrue();
        var roots = karras.Levels.Take(10).Select(l => Math.Pow(l.NoiseToSignal, 1 / 7.0)).ToArray();
        for (int i = 1; i < 9; i++) (roots[i] - roots[i - 1]).Should().BeApproximately(roots[i + 1] - roots[i], 1e-6, "σ^(1/ρ) is evenly spaced");
    }

    [Fact]
    public void BadSettings_GetTypedErrors_BeforeAnyTensorIsTouched()
    {
        var flow = new RectifiedFlow();
        using var target = KnownImage(9);
        var vpModel = new PointMassPredictor(Mnist, target);
        var flowModel = new PointMassPredictor(flow, target, kind: PredictionKind.FlowVelocity);

        // An order the sampler lacks.
        FluentActions.Invoking(() => Samplers.DpmSolverPlusPlus(4)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Order").WithMessage("*orders 1 to 3*");
        FluentActions.Invoking(() => Samplers.SdeDpmSolverPlusPlus(3)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*orders 1 to 2*");
        // An unknown spacing or algorithm value.
        FluentActions.Invoking(() => new DpmSolverSampler(new DpmSolverOptions { Spacing = (TimestepSpacing)7 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Spacing");
        FluentActions.Invoking(() => new DpmSolverSampler(new DpmSolverOptions { Algorithm = (DpmSolverAlgorithm)9 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Algorithm");
        // ε-space DPM-Solver cannot end on clean data.
        FluentActions.Invoking(() => new DpmSolverSampler(new DpmSolverOptions { Algorithm = DpmSolverAlgorithm.DpmSolver })).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*SigmaMin*");
        // Fewer steps than the order.
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(vpModel, 2, Condition.None).WithSampler(Samplers.DpmSolverPlusPlus(3)).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*order 3 needs at least 3 steps*2*");
        // A σ list that does not decrease.
        FluentActions.Invoking(() => SigmaSchedule.FromNoiseToSignal(Mnist, [1.0, 2.0, 0])).Should().Throw<ArgumentException>().WithMessage("*decrease strictly*level 1*");
        FluentActions.Invoking(() => SigmaSchedule.FromNoiseToSignal(Mnist, [1.0, -0.5])).Should().Throw<ArgumentException>().WithMessage("*non-negative*entry 1*");
        // DDPM walks table entries: a flow model, or fractional timesteps, do not fit.
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(flowModel, 10, Condition.None).WithSampler(Samplers.Ddpm()).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*DDPM*discrete schedule*RectifiedFlow*");
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(flowModel, Timesteps.Leading(10, 1000), Condition.None).WithSampler(Samplers.Ddim()).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*DDIM*discrete schedule*RectifiedFlow*");
        // An ε model cannot be read at rectified flow's pure noise.
        var epsilonOnFlow = new PointMassPredictor(flow, target);
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(epsilonOnFlow, 10, Condition.None).WithSampler(Samplers.DpmSolverPlusPlus()).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*ε-prediction*α = 0*");
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(vpModel, SigmaSchedule.Karras(Mnist, 10), Condition.None).WithSampler(Samplers.Ddim()).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*integer timesteps*");
        // A model whose output kind does not fit its process, and a flow grid on a discrete schedule.
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(new PointMassPredictor(Mnist, target, kind: PredictionKind.FlowVelocity), 10, Condition.None))
            .Should().Throw<ArgumentException>().WithMessage("*flow velocity*rectified-flow*");
        FluentActions.Invoking(() => SigmaSchedule.Flow(Mnist, 10)).Should().Throw<ArgumentException>().WithMessage("*rectified-flow*");
        FluentActions.Invoking(() => SigmaSchedule.Karras(flow, 10)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*σ_max < ∞*");
        FluentActions.Invoking(() => SigmaSchedule.Karras(Mnist, 10, final: FinalSigma.SigmaMin)).Should().Throw<ArgumentException>().WithMessage("*already ends at σ_min*");
    }

    [Fact]
    public void Samplers_ByName_CoverEveryFamily_AndNameTheUnknown()
    {
        foreach (var name in Samplers.Names) Samplers.Parse(name).Should().NotBeNull(name);
        Samplers.Parse(" DPM++2M-Karras ").Should().BeOfType<DpmSolverSampler>().Which.Options.KarrasSigmas.Should().BeTrue();
        Samplers.Parse("unipc-bh1-3").Should().BeOfType<UniPcSampler>().Which.Options.Should().Match<UniPcOptions>(o => o.Order == 3 && o.SolverType == UniPcSolverType.Bh1);
        Samplers.Parse("heun").ModelCalls(SigmaSchedule.FromTimesteps(Mnist, Timesteps.Linspace(10, 300))).Should().Be(19);
        FluentActions.Invoking(() => Samplers.Parse("dpm++9m")).Should().Throw<ArgumentException>().WithParameterName("name").WithMessage("*'dpm++9m'*dpm++2m*unipc*heun*");
        FluentActions.Invoking(() => Samplers.Parse("ddim-karras")).Should().Throw<ArgumentException>().WithMessage("*'ddim-karras'*");
        Samplers.ParseSpacing("Trailing").Should().Be(TimestepSpacing.Trailing);
        FluentActions.Invoking(() => Samplers.ParseSpacing("uniform")).Should().Throw<ArgumentException>().WithMessage("*'uniform'*linspace, leading, trailing*");
    }

    [Fact]
    public void FlowSampler_OnAVariancePreservingModel_IsRefusedByName()
    {
        using var target = KnownImage(10);
        var vpModel = new PointMassPredictor(Mnist, target);
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(vpModel, 10, Condition.None).WithSampler(Samplers.FlowMatchEuler()).Validate())
            .Should().Throw<ArgumentException>().WithMessage("*flow sampler on a VP model*");
    }

    /// <summary>Cancels its token when asked for call <c>cancelAtCall</c> + 1.</summary>
    private sealed class CancellingPredictor(INoisePredictor inner, CancellationTokenSource cts, int cancelAtCall) : INoisePredictor
    {
        public int Calls { get; private set; }

        public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
        {
            Calls++;
            if (Calls == cancelAtCall) cts.Cancel();
            return inner.Predict(sample, timesteps, condition);
        }
    }
}
