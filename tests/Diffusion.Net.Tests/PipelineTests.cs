using Diffusion.Net.Guidance;
using Diffusion.Net.Imaging;
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

public class PipelineTests
{
    private static readonly NoiseSchedule Schedule = NoiseSchedules.Linear(1e-4, 0.02, 300);

    private static (DiffusionPipeline Pipeline, PointMassPredictor Model, Tensor Target) Setup(int steps = 300)
    {
        var target = rand(1, 1, 8, 8) * 2 - 1;
        var model = new PointMassPredictor(Schedule, target);
        var ts = steps == 300 ? Timesteps.All(300) : Timesteps.Leading(steps, 300);
        return (DiffusionPipeline.FromNoise(3, 1, 8, 8).Denoise(model, Schedule, ts, Condition.None), model, target);
    }

    [Fact]
    public void SameSeed_GivesBitIdenticalResults_DifferentSeedDoesNot()
    {
        var model = new GaussianDataPredictor(Schedule, 0.2, 0.5);
        var noisy = DiffusionPipeline.FromNoise(3, 1, 8, 8).Denoise(model, Timesteps.Leading(50, 300), Condition.None);
        using var a = noisy.Run(seed: 42);
        using var b = noisy.Run(seed: 42);
        using var c = noisy.Run(seed: 43);
        TensorAssert.BitIdentical(a, b);
        TensorAssert.MaxAbsDiff(a, c).Should().BeGreaterThan(1e-3, "another seed draws other noise");
    }

    [Fact]
    public void Progress_IsReportedAfterEveryStep_WithStepTimestepAndElapsedTime()
    {
        var (pipeline, _, target) = Setup(20);
        using var _t = target;
        var reports = new List<DiffusionProgress>();
        using var result = pipeline.Run(new DiffusionRunOptions { Seed = 1 }, new SynchronousProgress<DiffusionProgress>(reports.Add));
        reports.Should().HaveCount(20);
        reports.Select(r => r.Step).Should().Equal(Enumerable.Range(1, 20));
        reports.Select(r => r.Timestep).Should().Equal(Timesteps.Leading(20, 300).Values.Select(v => (double)v));
        reports.Should().AllSatisfy(r => r.TotalSteps.Should().Be(20));
        reports.Select(r => r.Elapsed).Should().BeInAscendingOrder();
        reports[^1].PreviousTimestep.Should().Be(-1);
    }

    [Fact]
    public void Cancellation_StopsWithinOneStep()
    {
        var (pipeline, model, target) = Setup(50);
        using var _t = target;
        using var cts = new CancellationTokenSource();
        var progress = new SynchronousProgress<DiffusionProgress>(p => { if (p.Step == 7) cts.Cancel(); });
        FluentActions.Invoking(() => pipeline.Run(new DiffusionRunOptions(), progress, cts.Token))
            .Should().Throw<OperationCanceledException>();
        model.Calls.Should().Be(7, "the token is checked before every step, so no step starts after cancellation");
    }

    [Fact]
    public async Task RunAsync_HonoursAnAlreadyCancelledToken()
    {
        var (pipeline, model, target) = Setup(10);
        using var _t = target;
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await FluentActions.Awaiting(() => pipeline.RunAsync(new DiffusionRunOptions(), null, cts.Token)).Should().ThrowAsync<OperationCanceledException>();
        model.Calls.Should().Be(0);
    }

    [Fact]
    public void Trajectory_IsCapturedEveryKSteps_AndAtTheEnd()
    {
        var (pipeline, _, target) = Setup(20);
        using var _t = target;
        using var result = pipeline.CaptureTrajectory(every: 5).Run(new DiffusionRunOptions { Seed = 2 });
        result.Trajectory.Select(f => f.Step).Should().Equal(5, 10, 15, 20);
        result.Trajectory[^1].Timestep.Should().Be(-1);
        TensorAssert.Close(result.Trajectory[^1].Sample, result.Sample, 0);
    }

    [Fact]
    public void Inpainting_KeepsTheKnownRegion_ExactlyTheForwardNoisedOriginal_AtEveryStep()
    {
        // With zero noise the forward-noised original is √ᾱ_t · x_orig, so the kept region can be checked exactly.
        var schedule = NoiseSchedules.SquaredCosCapV2();
        using var original = rand(1, 3, 8, 8) * 2 - 1;
        using var garbage = rand(1, 3, 8, 8) * 10;
        using var mask = Masks.Rectangle(8, 8, top: 2, left: 3, height: 4, width: 3);
        var model = new PointMassPredictor(schedule, garbage);
        var ts = Timesteps.Strided();
        using var result = DiffusionPipeline.FromNoise(1, 3, 8, 8)
            .Denoise(model, schedule, ts, Condition.None)
            .WithSampler(Samplers.Ddpm(DdpmVariance.FixedSmall))
            .Inpaint(original, mask)
            .CaptureTrajectory()
            .Run(new DiffusionRunOptions { NoiseSource = FixedNoiseSource.Zeros() });
        result.Trajectory.Should().HaveCount(33);
        using var keep = (1 - mask).to(ScalarType.Bool).expand(1, 3, 8, 8);
        foreach (var frame in result.Trajectory)
        {
            using var scope = NewDisposeScope();
            var expected = original * (float)Math.Sqrt(schedule.AlphaBar((int)frame.Timestep));
            TensorAssert.BitIdentical(frame.Sample.masked_select(keep), expected.masked_select(keep), $"kept region at t={frame.Timestep}");
            var inside = frame.Sample.masked_select(keep.logical_not());
            TensorAssert.MaxAbsDiff(inside, expected.masked_select(keep.logical_not())).Should().BeGreaterThan(0.1, "the masked region is generated");
        }
    }

    [Fact]
    public void Inpainting_WithRealNoise_EndsOnTheOriginal_InTheKnownRegion()
    {
        var (_, model, target) = Setup();
        using var _t = target;
        using var original = rand(1, 1, 8, 8);
        using var mask = Masks.Rectangle(8, 8, 0, 0, 8, 4);
        using var result = DiffusionPipeline.FromNoise(2, 1, 8, 8)
            .Denoise(model, Schedule, Timesteps.All(300), Condition.None)
            .Inpaint(original, mask)
            .Run(seed: 9);
        TensorAssert.BitIdentical(result[.., .., .., 4..].contiguous(), original[.., .., .., 4..].expand(2, -1, -1, -1).contiguous());
        TensorAssert.Close(result[.., .., .., ..4], target[.., .., .., ..4].expand(2, -1, -1, -1), 1e-4);
    }

    [Fact]
    public void ForwardThenDenoise_FromAnImage_IsSdedit()
    {
        var schedule = NoiseSchedules.SquaredCosCapV2();
        using var image = rand(1, 3, 8, 8) * 2 - 1;
        using var target = rand(1, 3, 8, 8) * 2 - 1;
        var model = new PointMassPredictor(schedule, target);
        var ts = Timesteps.Strided();
        var pipeline = DiffusionPipeline.From(image).Noise(schedule, ts, 20).Denoise(model, schedule, ts.From(20), Condition.None);
        pipeline.TotalDenoisingSteps.Should().Be(13);
        using var result = pipeline.Run(seed: 4);
        TensorAssert.Close(result, target, 5 * Math.Sqrt(1 - schedule.AlphaBar(30) / schedule.AlphaBar(0)) + 1e-4);
    }

    [Fact]
    public void Pipelines_AreImmutable()
    {
        var (pipeline, _, target) = Setup(5);
        using var _t = target;
        var guided = pipeline.WithGuidance(Guide.ClassifierFree(3));
        pipeline.Settings.Guidance.Should().BeSameAs(Guide.None);
        guided.Settings.Guidance.Should().BeOfType<ClassifierFreeGuidance>();
        guided.Links.Should().Equal(pipeline.Links);
    }

    [Fact]
    public void MemoryStaysFlat_NoTensorLeaksAcrossSteps()
    {
        var (pipeline, _, target) = Setup(50);
        using var _t = target;
        using (pipeline.Run(seed: 0)) { }
        long before = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        using (pipeline.Run(seed: 1)) { }
        using (pipeline.Run(seed: 2)) { }
        long after = TorchSharp.DisposeScopeManager.Statistics.TensorStatistics.ThreadTotalLiveCount;
        (after - before).Should().BeLessThanOrEqualTo(0, "every temporary of a run is disposed");
    }
}

/// <summary>IProgress that reports synchronously on the caller's thread (Progress&lt;T&gt; posts asynchronously).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
