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

/// <summary>Bad input gets a typed exception naming the problem, before any native call.</summary>
public class ArgumentValidationTests
{
    private static readonly NoiseSchedule Schedule = NoiseSchedules.Linear();

    [Fact]
    public void SamplerStep_WithMismatchedShapes_Throws()
    {
        using var scope = NewDisposeScope();
        using var p = new ModelPrediction(zeros(1, 1, 4, 4));
        FluentActions.Invoking(() => Samplers.Ddpm().Step(Schedule, zeros(1, 1, 8, 8), p, 10, 9, FixedNoiseSource.Zeros()))
            .Should().Throw<ArgumentException>().WithMessage("*sample [1, 1, 8, 8]*prediction [1, 1, 4, 4]*");
    }

    [Fact]
    public void SamplerStep_WithTimestepsOutOfRange_Throws()
    {
        using var scope = NewDisposeScope();
        using var p = new ModelPrediction(zeros(1, 1, 4, 4));
        var x = zeros(1, 1, 4, 4);
        FluentActions.Invoking(() => Samplers.Ddpm().Step(Schedule, x, p, 300, 299, FixedNoiseSource.Zeros()))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 299]*");
        FluentActions.Invoking(() => Samplers.Ddpm().Step(Schedule, x, p, 10, 10, FixedNoiseSource.Zeros()))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*next timestep*less noisy*[-1, 10)*");
        FluentActions.Invoking(() => ForwardProcess.AddNoise(Schedule, x, x, 1000)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => ForwardProcess.AddNoise(Schedule, x, x, tensor(new long[] { 400 })))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[0, 299]*[400, 400]*");
    }

    [Fact]
    public void LearnedRange_WithoutVarianceChannels_Throws()
    {
        using var scope = NewDisposeScope();
        using var p = new ModelPrediction(zeros(1, 1, 4, 4));
        FluentActions.Invoking(() => Samplers.Ddpm(DdpmVariance.LearnedRange).Step(Schedule, zeros(1, 1, 4, 4), p, 10, 9, FixedNoiseSource.Zeros()))
            .Should().Throw<InvalidOperationException>().WithMessage("*variance channels*");
    }

    [Fact]
    public void NegativeSigma_Throws()
    {
        using var x = zeros(2, 2);
        FluentActions.Invoking(() => GaussianNoising.Add(x, x, -0.5)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*σ*");
        FluentActions.Invoking(() => GaussianNoising.Add(x, double.NaN, new Generator(1))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void EmptyTimestepList_Throws()
        => FluentActions.Invoking(() => new TimestepSequence([])).Should().Throw<ArgumentException>().WithMessage("*at least one timestep*");

    [Fact]
    public void MaskShapeMismatch_IsRejectedBeforeTheRun()
    {
        using var scope = NewDisposeScope();
        var model = new PointMassPredictor(Schedule, zeros(1, 1, 8, 8));
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 8, 8).Inpaint(zeros(1, 1, 8, 8), zeros(1, 1, 6, 6)))
            .Should().Throw<ArgumentException>().WithMessage("*mask is 6×6*original is 8×8*");
        var pipeline = DiffusionPipeline.FromNoise(1, 1, 16, 16).Denoise(model, Timesteps.All(300), Condition.None).Inpaint(zeros(1, 1, 8, 8), zeros(1, 1, 8, 8));
        FluentActions.Invoking(() => pipeline.Run()).Should().Throw<ArgumentException>().WithMessage("*needs a state of [B, 1, 8, 8]*[1, 1, 16, 16]*");
        model.Calls.Should().Be(0);
    }

    [Fact]
    public void ConditionBatchMismatch_IsRejectedBeforeTheRun()
    {
        var model = new PointMassPredictor(Schedule, zeros(3, 1, 8, 8));
        var pipeline = DiffusionPipeline.FromNoise(4, 1, 8, 8).Denoise(model, Timesteps.All(300), Condition.Classes(0, 1, 2));
        FluentActions.Invoking(() => pipeline.Run()).Should().Throw<ArgumentException>().WithMessage("*batch 3*state has batch 4*");
        model.Calls.Should().Be(0);
    }

    [Fact]
    public void TimestepsBeyondTheSchedule_AreRejectedWhenTheStepIsBuilt()
    {
        var model = new PointMassPredictor(Schedule, zeros(1, 1, 8, 8));
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(model, Timesteps.Strided(), Condition.None))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*990 is outside a schedule of 300*");
    }

    [Fact]
    public void PipelineWithoutSource_OrWithBadShapes_Throws()
    {
        FluentActions.Invoking(() => DiffusionPipeline.FromNoise(1, 0, 8, 8)).Should().Throw<ArgumentException>().WithMessage("*positive*");
        using var img = zeros(8, 8);
        FluentActions.Invoking(() => DiffusionPipeline.From(img)).Should().Throw<ArgumentException>().WithMessage("*[B, C, H, W] or [C, H, W]*");
        FluentActions.Invoking(() => Guide.ClassifierFree(double.NaN)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => Condition.Classes(-2)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*−1 for the null class*");
    }

    [Fact]
    public void TextConditionWithoutExplicitUnconditional_ExplainsWhatToPass()
    {
        using var e = zeros(1, 77, 8);
        FluentActions.Invoking(() => Condition.Text(e).Unconditional()).Should().Throw<InvalidOperationException>().WithMessage("*empty prompt*");
        FluentActions.Invoking(() => Condition.Text(zeros(1, 77))).Should().Throw<ArgumentException>().WithMessage("*[B, L, D]*");
    }
}
