using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using Diffusion.Net.Training;
using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

/// <summary>
/// CS180's flow-matching convention (x_t = (1 − t)·x_0 + t·x_1 from noise to data, u = x_1 − x_0) against the engine's
/// rectified-flow axis (σ = 1 − t, v = −u): the objective's loss term for term, and CS180's Euler loop step for step.
/// </summary>
public sealed class FlowMatchingTests
{
    /// <summary>Records what the objective hands the model and answers with a fixed tensor.</summary>
    private sealed class RecordingFlowModel(Tensor answer) : INoisePredictor
    {
        public PredictionKind OutputKind => PredictionKind.FlowVelocity;

        public Tensor? Input { get; private set; }

        public Tensor? Timesteps { get; private set; }

        public Condition? Condition { get; private set; }

        public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
        {
            // The objective disposes its scope on return; keep the copies for the assertions.
            Input = sample.clone().DetachFromDisposeScope();
            Timesteps = timesteps.clone().DetachFromDisposeScope();
            Condition = condition;
            return new ModelPrediction(answer.clone(), PredictionKind.FlowVelocity);
        }
    }

    private static Tensor Data(int batch) => linspace(0, 1, batch * 16).reshape(batch, 1, 4, 4);

    [Theory]
    [InlineData(FlowTimeDistribution.Uniform)]
    [InlineData(FlowTimeDistribution.LogitNormal)]
    public void Loss_IsCs180sVelocityLoss_OnTheEnginesAxis(FlowTimeDistribution time)
    {
        const int b = 6;
        using var x1 = Data(b);
        using var answer = randn([b, 1, 4, 4], generator: new Generator(3));
        var model = new RecordingFlowModel(answer);
        var objective = new FlowMatchingObjective(model, new RectifiedFlow(), time: time);
        using var batch = new TrainingBatch(x1);
        using var loss = objective.Loss(batch, new Generator(42));

        // The same draws, in the objective's order: t, then the noise x_0.
        using var g = new Generator(42);
        using var t = time == FlowTimeDistribution.Uniform ? rand([b], generator: g) : randn([b], generator: g).sigmoid();
        using var x0 = randn([b, 1, 4, 4], generator: g);
        using var tb = t.reshape(b, 1, 1, 1);
        using var xt = (1f - tb) * x0 + tb * x1;
        TensorAssert.Close(model.Input!, xt, 1e-6, because: "x_t = (1 − t)·x_0 + t·x_1");
        TensorAssert.Close(model.Timesteps!, (1f - t) * 1000f, 1e-3, because: "the model is asked at τ = σ·T with σ = 1 − t");
        using var u = x1 - x0;
        using var expected = (answer.neg() - u).pow(2).mean();
        loss.item<float>().Should().BeApproximately(expected.item<float>(), 1e-5f, "‖û − u‖² with û = −v̂");
        model.Condition.Should().BeOfType<NullCondition>();
        if (time == FlowTimeDistribution.LogitNormal)
            t.min().item<float>().Should().BeGreaterThan(0f);
    }

    [Fact]
    public void Loss_IsZero_ForTheExactVelocity_AndDropsLabelsLikeDdpm()
    {
        const int b = 64;
        using var x1 = Data(b);
        using var labels = arange(b, dtype: ScalarType.Int64) % 10;
        // The exact velocity v = x_0 − x_1 is known once the draws are: replay them.
        using var g = new Generator(9);
        using var t = rand([b], generator: g);
        using var x0 = randn([b, 1, 4, 4], generator: g);
        using var v = x0 - x1;
        var model = new RecordingFlowModel(v);
        var objective = new FlowMatchingObjective(model, new RectifiedFlow(), conditionDropout: 0.5, useLabels: true);
        using var batch = new TrainingBatch(x1, labels);
        using var loss = objective.Loss(batch, new Generator(9));
        loss.item<float>().Should().BeLessThan(1e-10f);
        var seen = ((ClassCondition)model.Condition!).Labels;
        seen.Count(l => l == -1).Should().BeInRange(16, 48, "p_uncond = 0.5 drops about half the labels");
        seen.Where(l => l >= 0).Should().OnlyContain(l => l < 10);
    }

    [Fact]
    public void Objective_RefusesAModelThatDoesNotPredictTheFlowVelocity()
    {
        var flow = new RectifiedFlow();
        using var image = zeros(1, 1, 4, 4);
        var epsilonModel = new PointMassPredictor(flow, image);
        FluentActions.Invoking(() => new FlowMatchingObjective(epsilonModel, flow)).Should().Throw<ArgumentException>().WithParameterName("model").WithMessage("*flow velocity*Epsilon*");
        var flowModel = new PointMassPredictor(flow, image, kind: PredictionKind.FlowVelocity);
        FluentActions.Invoking(() => new FlowMatchingObjective(flowModel, flow, conditionDropout: 1.5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("conditionDropout");
    }

    [Fact]
    public void FlowUniform_IsCs180sGrid_AndOnlyForRectifiedFlow()
    {
        var schedule = SigmaSchedule.FlowUniform(new RectifiedFlow(), 4);
        schedule.Levels.Select(l => l.Sigma).Should().Equal(1.0, 0.75, 0.5, 0.25, 0.0);
        schedule.Levels.Select(l => l.Timestep).Should().Equal(1000.0, 750.0, 500.0, 250.0, 0.0);
        schedule.Levels.Select(l => l.Alpha).Should().Equal(0.0, 0.25, 0.5, 0.75, 1.0);
        FluentActions.Invoking(() => SigmaSchedule.FlowUniform(NoiseSchedules.Linear(1e-4, 0.02, 300), 4)).Should().Throw<ArgumentException>().WithParameterName("process");
    }

    [Fact]
    public void FlowMultistep_StartsBelowPureNoise_WithTruncatedTimesteps()
    {
        // diffusers' use_flow_sigmas grid for n = 4, T = 1000: α = linspace(1, 0.001, 5), σ = 1 − α reversed without its 0.
        var schedule = SigmaSchedule.FlowMultistep(new RectifiedFlow(), 4);
        double[] sigmas = [0.999, 0.74925, 0.4995, 0.24975];
        schedule.StepCount.Should().Be(4);
        for (int i = 0; i < 4; i++)
        {
            schedule[i].Sigma.Should().Be((float)sigmas[i]);
            schedule[i].Timestep.Should().Be(Math.Truncate(sigmas[i] * 1000));
        }
        schedule.Last.IsClean.Should().BeTrue();
        double.IsFinite(schedule.First.LogSnr).Should().BeTrue("the first level is below pure noise, so λ is finite");
    }

    /// <summary>A linear flow field u(x, t) = a·x + b·t: CS180's Euler update x ← x + u/N is easy to run by hand.</summary>
    private sealed class LinearField : IDiffusionModel
    {
        public IDiffusionProcess Process { get; } = new RectifiedFlow();

        public PredictionKind OutputKind => PredictionKind.FlowVelocity;

        public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
        {
            var t = (1f - timesteps.to(ScalarType.Float32) / 1000).reshape(-1, 1, 1, 1);
            var u = sample * -0.7f + t * 0.9f;
            return new ModelPrediction(u.neg(), PredictionKind.FlowVelocity);
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(32)]
    public void EngineEuler_OnEqualSteps_IsCs180sEulerLoop(int steps)
    {
        using var noise = randn([3, 1, 4, 4], generator: new Generator(1));
        var model = new LinearField();
        using var result = DiffusionPipeline.FromNoise(noise)
            .Denoise(model, SigmaSchedule.FlowUniform(model.Process, steps), Condition.None)
            .WithSampler(new EulerSampler(new EulerSamplerOptions { FlowMatching = true }))
            .Run(seed: 0);

        var x = noise.clone();
        for (int i = 0; i < steps; i++)
        {
            float t = (float)i / steps;
            var u = x * -0.7f + t * 0.9f;
            x = x + u / steps;
        }
        TensorAssert.Close(result, x, 1e-5, because: "x_{t+1/N} = x_t + (1/N)·u(x_t, t) from t = 0 to 1");
    }
}
