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
/// The σ-space samplers (Euler, Euler ancestral, Heun and their flow-matching forms) beyond the diffusers trajectories:
/// the errors they raise, the known image a point-mass model must lead them to, Gaussian data statistics against the
/// methods' exact discrete behaviour, and Heun's model-call count.
/// </summary>
public class EulerSamplersTests
{
    private static readonly NoiseSchedule Mnist = NoiseSchedules.Linear(1e-4, 0.02, 300);

    private static Tensor KnownImage(long seed, int channels = 1, int size = 8)
    {
        using var g = new Generator((ulong)seed, CPU);
        return rand([1, channels, size, size], generator: g) * 2 - 1;
    }

    private static EulerSampler FlowMatchEuler(double shift = 1) => new(new EulerSamplerOptions { FlowMatching = true, Shift = shift });

    [Fact]
    public void FlowMatchEuler_OnAVpModel_IsRejected()
    {
        var sampler = FlowMatchEuler();
        FluentActions.Invoking(() => sampler.CreateSchedule(Mnist, 10)).Should().Throw<ArgumentException>().WithMessage("*flow sampler on a VP model*");
        var vpSchedule = new EulerSampler().CreateSchedule(Mnist, 10);
        FluentActions.Invoking(() => sampler.Validate(vpSchedule, PredictionKind.Epsilon)).Should().Throw<ArgumentException>()
            .WithMessage("*flow sampler on a VP model*RectifiedFlow*");
        var heun = new HeunSampler(new HeunSamplerOptions { FlowMatching = true });
        FluentActions.Invoking(() => heun.Validate(vpSchedule, PredictionKind.Epsilon)).Should().Throw<ArgumentException>().WithMessage("*flow sampler on a VP model*");
    }

    [Fact]
    public void EulerAncestral_OnRectifiedFlow_IsRejected()
    {
        var sampler = new EulerAncestralSampler();
        var flow = new RectifiedFlow();
        FluentActions.Invoking(() => sampler.CreateSchedule(flow, 10)).Should().Throw<ArgumentException>().WithMessage("*variance-preserving*RectifiedFlow*");
        FluentActions.Invoking(() => sampler.Validate(SigmaSchedule.Flow(flow, 10), PredictionKind.FlowVelocity)).Should().Throw<ArgumentException>().WithParameterName("schedule");
    }

    [Fact]
    public void Shift_OnAVpProcess_IsRejected()
    {
        FluentActions.Invoking(() => new EulerSampler(new EulerSamplerOptions { Shift = 3 }).CreateSchedule(Mnist, 10))
            .Should().Throw<ArgumentException>().WithMessage("*shift (3)*rectified flow*");
        FluentActions.Invoking(() => new HeunSampler(new HeunSamplerOptions { Shift = 3 }).CreateSchedule(Mnist, 10))
            .Should().Throw<ArgumentException>().WithMessage("*shift*");
        var schedule = new EulerSampler().CreateSchedule(Mnist, 10);
        FluentActions.Invoking(() => new EulerSampler(new EulerSamplerOptions { Shift = 3 }).Validate(schedule, PredictionKind.Epsilon))
            .Should().Throw<ArgumentException>().WithMessage("*shift*");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonPositiveOrNonFiniteShift_IsRejected(double shift)
    {
        FluentActions.Invoking(() => FlowMatchEuler(shift)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Shift");
        FluentActions.Invoking(() => new HeunSampler(new HeunSamplerOptions { Shift = shift })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Shift");
    }

    [Fact]
    public void OptionsThatWouldBeIgnored_AreRejected()
    {
        FluentActions.Invoking(() => new EulerSampler(new EulerSamplerOptions { SigmaMin = 0.1 })).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Karras*");
        FluentActions.Invoking(() => new EulerSampler(new EulerSamplerOptions { SChurn = -1 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("SChurn");
        FluentActions.Invoking(() => new EulerSampler(new EulerSamplerOptions { KarrasSigmas = true }).CreateSchedule(new RectifiedFlow(), 10))
            .Should().Throw<ArgumentException>().WithMessage("*Karras*");
        // linspace already ends at t = 0, so σ_min would be visited twice.
        FluentActions.Invoking(() => new EulerSampler(new EulerSamplerOptions { FinalSigma = FinalSigma.SigmaMin }).CreateSchedule(Mnist, 10))
            .Should().Throw<ArgumentException>().WithMessage("*SigmaMin*step of size zero*");
        var trailing = new EulerSampler(new EulerSamplerOptions { FinalSigma = FinalSigma.SigmaMin, Spacing = TimestepSpacing.Trailing }).CreateSchedule(Mnist, 10);
        trailing.Last.Timestep.Should().Be(0);
        trailing.EndsClean.Should().BeFalse();
    }

    [Fact]
    public void EpsilonModel_AtFlowsPureNoise_IsRejected()
    {
        var schedule = FlowMatchEuler().CreateSchedule(new RectifiedFlow(), 10);
        FluentActions.Invoking(() => FlowMatchEuler().Validate(schedule, PredictionKind.Epsilon)).Should().Throw<ArgumentException>().WithMessage("*ε*pure noise*");
        FlowMatchEuler().Validate(schedule, PredictionKind.FlowVelocity);
    }

    [Fact]
    public void Begin_ScalesPureNoiseByInitNoiseSigma_AndANoisedImageToTheVeSample()
    {
        using var scope = NewDisposeScope();
        var x = ones(1, 1, 2, 2);
        var linspace = new EulerSampler().CreateSchedule(Mnist, 10);
        using (var run = new EulerSampler().Start(linspace, new GeneratorNoiseSource(new Generator(0, CPU))))
        {
            double sigmaMax = (float)linspace.First.NoiseToSignal;
            run.Begin(x, pureNoise: true).max().item<float>().Should().Be((float)sigmaMax, "diffusers' init_noise_sigma is σ_max for linspace");
            run.Begin(x, pureNoise: false).max().item<float>().Should().BeApproximately((float)(1 / linspace.First.Alpha), 1e-5f, "a noised image x becomes x/α");
            run.StateScale(0).Should().BeApproximately(1 / linspace.First.Alpha, 1e-12);
            run.StateScale(10).Should().Be(1, "clean data is its own VE sample");
        }
        var leadingSampler = new EulerSampler(new EulerSamplerOptions { Spacing = TimestepSpacing.Leading, StepsOffset = 1 });
        var leading = leadingSampler.CreateSchedule(Mnist, 10);
        using (var run = leadingSampler.Start(leading, new GeneratorNoiseSource(new Generator(0, CPU))))
        {
            float s = (float)leading.First.NoiseToSignal;
            run.Begin(x, pureNoise: true).max().item<float>().Should().Be(MathF.Sqrt(s * s + 1), "leading spacing scales by √(σ_max² + 1)");
        }
        using (var run = FlowMatchEuler().Start(SigmaSchedule.Flow(new RectifiedFlow(), 10), new GeneratorNoiseSource(new Generator(0, CPU))))
        {
            run.Begin(x, pureNoise: true).max().item<float>().Should().Be(1, "rectified flow's state is its own x");
            run.StateScale(3).Should().Be(1);
        }
    }

    public static TheoryData<string> VpSamplerNames() => new() { "euler", "heun", "euler-ancestral" };

    private static ISampler CreateVp(string name) => name switch
    {
        "euler" => new EulerSampler(),
        "heun" => new HeunSampler(),
        _ => new EulerAncestralSampler(),
    };

    [Theory]
    [MemberData(nameof(VpSamplerNames))]
    public void PointMass_OnAVpSchedule_LandsOnTheKnownImage(string sampler)
    {
        using var target = KnownImage(1);
        var model = new PointMassPredictor(Mnist, target);
        using var result = DiffusionPipeline.FromNoise(4, 1, 8, 8)
            .Denoise(model, 10, Condition.None)
            .WithSampler(CreateVp(sampler))
            .Run(seed: 3);
        // The optimal ε makes x̂0 = x* at every level, and the last step to σ = 0 returns x̂0.
        TensorAssert.Close(result, target.expand(4, -1, -1, -1), 1e-4, because: sampler);
    }

    [Theory]
    [InlineData("euler", 1.0)]
    [InlineData("euler", 3.0)]
    [InlineData("heun", 1.0)]
    [InlineData("heun", 3.0)]
    public void PointMass_OnRectifiedFlow_LandsOnTheKnownImage(string sampler, double shift)
    {
        var flow = new RectifiedFlow();
        using var target = KnownImage(2, channels: 3);
        var model = new PointMassPredictor(flow, target, kind: PredictionKind.FlowVelocity);
        ISampler s = sampler == "euler" ? FlowMatchEuler(shift) : new HeunSampler(new HeunSamplerOptions { FlowMatching = true, Shift = shift });
        using var result = DiffusionPipeline.FromNoise(2, 3, 8, 8)
            .Denoise(model, 10, Condition.None)
            .WithSampler(s)
            .Run(seed: 5);
        TensorAssert.Close(result, target.expand(2, -1, -1, -1), 1e-4, because: $"{s}: x̂0 = x − σv = x* at every level");
        model.Calls.Should().Be(sampler == "euler" ? 10 : 19);
    }

    [Theory]
    [InlineData("heun", 10)]
    [InlineData("euler", 30)]
    public void GaussianData_SamplesReproduceMeanAndStd(string name, int steps)
    {
        const double mu = 0.4, s = 0.3;
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 1000);
        var model = new GaussianDataPredictor(schedule, mu, s);
        ISampler sampler = name == "heun" ? new HeunSampler() : new EulerSampler();
        using var x = DiffusionPipeline.FromNoise(16, 1, 64, 64)
            .Denoise(model, steps, Condition.None)
            .WithSampler(sampler)
            .Run(seed: 11);
        double mean = x.mean().item<float>(), std = x.std().item<float>();

        // For N(μ, s²) data the ODE is linear: in VE coordinates x̂0 − μ = (x − μ)s²/(s² + σ²), so each step multiplies
        // x − μ by a known factor and the run maps the initial randn·σ_max to μ + g·(randn·σ_max − μ). That gives the
        // method's own mean and std on this grid, which the samples must meet up to their standard errors
        // (65,536 samples: s/256 for the mean, std/362 for the std; 4 of each allowed).
        var levels = sampler.CreateSchedule(schedule, steps).Levels.Select(l => l.NoiseToSignal).ToArray();
        double gain = 1;
        for (int i = 0; i + 1 < levels.Length; i++)
        {
            double sigma = levels[i], next = levels[i + 1], h = next - sigma;
            double k1 = sigma / (s * s + sigma * sigma);
            if (name == "euler" || next == 0) gain *= 1 + h * k1;
            else
            {
                double k2 = next / (s * s + next * next);
                gain *= 1 + h / 2 * (k1 + k2 * (1 + h * k1));
            }
        }
        double expectedMean = mu - gain * mu, expectedStd = gain * (float)levels[0];
        mean.Should().BeApproximately(expectedMean, 4 * s / 256, $"the sample mean of {sampler}");
        std.Should().BeApproximately(expectedStd, 4 * expectedStd / 362, $"the sample std of {sampler} against its exact discrete value");

        // The data's own statistics: the mean to within its standard error plus the start's bias (g·μ ≈ 1e-3); the std
        // to within the methods' discretisation on diffusers' 10- and 30-step linspace grids, whose last steps jump
        // from σ/α ≈ 0.38 (Heun) or 0.13 (Euler) to 0.01, across the data's scale s = 0.3: Heun-10 ends 17% wide,
        // Euler-30 14% narrow (both converge with more steps: Heun-100 and Euler-300 are within 2%).
        mean.Should().BeApproximately(mu, 0.01, $"the sample mean of {sampler}");
        std.Should().BeApproximately(s, 0.2 * s, $"the sample std of {sampler}");
    }

    [Fact]
    public void Heun_MakesTwoCallsPerStep_ButOneForTheLastStepToCleanData()
    {
        using var target = KnownImage(4);
        var model = new PointMassPredictor(Mnist, target);
        var heun = new HeunSampler();
        heun.ModelCalls(heun.CreateSchedule(Mnist, 10)).Should().Be(19);
        using (var _ = DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(model, 10, Condition.None).WithSampler(heun).Run(seed: 1))
            model.Calls.Should().Be(19, "2n − 1 for n = 10 steps ending on clean data");

        // A schedule that ends at a noise level takes a full Heun step there too.
        var open = SigmaSchedule.FromTimesteps(Mnist, [299.0, 200.0, 100.0, 0.0], endClean: false);
        heun.ModelCalls(open).Should().Be(6);
        var counted = new PointMassPredictor(Mnist, target);
        using (var _ = DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(counted, open, Condition.None).WithSampler(heun).Run(seed: 1))
            counted.Calls.Should().Be(6);
        model.Timesteps.Take(3).Should().Equal(299, heun.CreateSchedule(Mnist, 10)[1].Timestep, heun.CreateSchedule(Mnist, 10)[1].Timestep);
    }

    [Fact]
    public void Churn_DrawsOnEveryStepOnceOn_AndNeverWhenOff()
    {
        using var scope = NewDisposeScope();
        var target = KnownImage(6);
        var start = randn(2, 1, 8, 8, generator: new Generator(7, CPU));
        Tensor Sample(EulerSamplerOptions options, out int draws)
        {
            var sampler = new EulerSampler(options);
            var schedule = sampler.CreateSchedule(Mnist, 10);
            var noise = new CountingNoise(new Generator(8, CPU));
            using var run = sampler.Start(schedule, noise);
            var x = run.Begin(start, pureNoise: true);
            for (int i = 0; i < schedule.StepCount; i++)
            {
                using var step = run.Step(x, new PointMassDenoiser(target));
                x = step.Next.alias();
            }
            draws = noise.Draws;
            return x;
        }

        var plain = Sample(new EulerSamplerOptions(), out int plainDraws);
        plainDraws.Should().Be(0, "with S_churn = 0 no noise is drawn");
        // S_tmax = 0 keeps every level out of the churn band: γ = 0, yet diffusers still draws on each step.
        var banded = Sample(new EulerSamplerOptions { SChurn = 1, STMax = 0 }, out int bandedDraws);
        bandedDraws.Should().Be(10);
        TensorAssert.BitIdentical(banded, plain, "γ = 0 leaves the deterministic step");
        var churned = Sample(new EulerSamplerOptions { SChurn = 1 }, out int churnedDraws);
        churnedDraws.Should().Be(10);
        TensorAssert.MaxAbsDiff(churned, plain).Should().BeGreaterThan(1e-4, "the churn noise changes the trajectory");
    }

    /// <summary>The point mass's optimal ε for the process's x at the level.</summary>
    private sealed class PointMassDenoiser(Tensor image) : IDenoiser
    {
        public PredictionKind Kind => PredictionKind.Epsilon;

        public ModelPrediction Predict(Tensor sample, NoiseLevel level) => new((sample - image * level.Alpha) / level.Sigma);
    }

    private sealed class CountingNoise(Generator generator) : INoiseSource
    {
        public int Draws { get; private set; }

        public Tensor Next(long[] shape, ScalarType dtype, Device device)
        {
            Draws++;
            return randn(shape, dtype, device, generator: generator);
        }
    }
}
