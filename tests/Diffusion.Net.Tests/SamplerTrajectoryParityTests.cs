using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

/// <summary>
/// Every recorded diffusers 0.29.2 scheduler trajectory of <c>Fixtures/samplers</c>, replayed through this library's
/// sampler: the grid (timesteps, σ/α, ᾱ), the initial noise scale, every model input and timestep, the random draws in
/// diffusers' order, every step on the recorded inputs (1e-5) and the whole trajectory fed its own states (1e-4).
/// </summary>
public class SamplerTrajectoryParityTests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var name in SamplerCase.Names()) data.Add(name);
        return data;
    }

    [Fact]
    public void EveryRecordedCaseIsCovered() => Cases().Count.Should().Be(18);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Grid_MatchesDiffusersSetTimesteps(string name)
    {
        using var recorded = SamplerCase.Load(name);
        using var scope = NewDisposeScope();
        var schedule = recorded.Sampler.CreateSchedule(recorded.Process, recorded.Steps);
        recorded.Sampler.ModelCalls(schedule).Should().Be(recorded.Calls.Count, "the sampler makes as many model calls as diffusers");
        if (recorded.Has("alphas_cumprod"))
        {
            var table = ((INoiseSchedule)recorded.Process).AlphaBars.Select(v => (float)v).ToArray();
            TensorAssert.BitIdentical(tensor(table), recorded.Read("alphas_cumprod"), "ᾱ is diffusers' float32 table");
        }
        if (recorded.Has("sigmas"))
        {
            // Heun's table repeats every inner σ (one entry per model call); compare the distinct levels.
            var expected = recorded.Read("sigmas").data<float>().Select(v => (double)v).ToArray();
            if (recorded.Scheduler == "HeunDiscreteScheduler") expected = [expected[0], .. expected.Skip(1).Where((_, i) => i % 2 == 0)];
            var actual = schedule.Levels.Select(l => l.NoiseToSignal).ToArray();
            if (recorded.Process is RectifiedFlow) actual = schedule.Levels.Select(l => l.Sigma).ToArray();
            actual.Should().HaveCount(expected.Length);
            for (int i = 0; i < expected.Length; i++)
                actual[i].Should().BeApproximately(expected[i], 1e-6 * Math.Max(1, expected[i]), $"σ of level {i}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryStep_OnTheRecordedInputs_MatchesDiffusers(string name)
    {
        using var recorded = SamplerCase.Load(name);
        var schedule = recorded.Sampler.CreateSchedule(recorded.Process, recorded.Steps);
        recorded.Sampler.Validate(schedule, recorded.OutputKind);
        var denoiser = new ReplayDenoiser(recorded, inputTolerance: 1e-5);
        var noise = new ReplayNoise(recorded, denoiser);
        using var run = recorded.Sampler.Start(schedule, noise);
        using var noGrad = no_grad();
        for (int k = 0; k < schedule.StepCount; k++)
        {
            using var scope = NewDisposeScope();
            var input = k == 0 ? recorded.Read("initial_sample") : recorded.Read($"call{denoiser.Call}.prev_sample");
            using var step = run.Step(input, denoiser);
            ExpectStep(step, recorded.Read($"call{denoiser.Call}.prev_sample"), 1e-5, $"{name}: step {k}");
            if (recorded.Has($"call{denoiser.Call}.pred_original_sample"))
                TensorAssert.Close(step.PredictedOriginal, recorded.Read($"call{denoiser.Call}.pred_original_sample"), 1e-5, because: $"{name}: x̂0 of step {k}");
        }
        denoiser.Calls.Should().Be(recorded.Calls.Count);
        if (recorded.DrawsAreUsed) noise.Draws.Should().Be(recorded.Calls.Sum(c => c.Draws), "every draw diffusers made, in its order");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WholeTrajectory_FromTheSameSeed_MatchesDiffusers(string name)
    {
        using var recorded = SamplerCase.Load(name);
        var schedule = recorded.Sampler.CreateSchedule(recorded.Process, recorded.Steps);
        var denoiser = new ReplayDenoiser(recorded, inputTolerance: 1e-4);
        var noise = new ReplayNoise(recorded, denoiser);
        using var run = recorded.Sampler.Start(schedule, noise);
        using var noGrad = no_grad();
        using var generator = new Generator(0, CPU);
        using var draw = randn(recorded.Shape, ScalarType.Float32, CPU, generator: generator);
        var x = run.Begin(draw, pureNoise: true);
        using (var scope = NewDisposeScope())
            TensorAssert.Close(x, recorded.Read("initial_sample"), 1e-6, because: $"{name}: the initial noise is randn × init_noise_sigma ({recorded.InitNoiseSigma})");
        for (int k = 0; k < schedule.StepCount; k++)
        {
            using var scope = NewDisposeScope();
            using var step = run.Step(x, denoiser);
            ExpectStep(step, recorded.Read($"call{denoiser.Call}.prev_sample"), 1e-4, $"{name}: step {k} of the whole trajectory");
            x.Dispose();
            x = step.Next.alias().DetachFromDisposeScope();
        }
        using (var scope = NewDisposeScope())
        {
            var final = recorded.Read("final_sample");
            if (!final.isnan().any().item<bool>()) TensorAssert.Close(x, final, 1e-4, because: $"{name}: the final sample");
        }
        x.Dispose();
    }

    /// <summary>
    /// The step's result against diffusers'. Where diffusers recorded NaN (UniPC bh1's last step to σ = 0 multiplies
    /// B(h) = −h = −∞ by a zero residual), the limit of the update is the step's x̂0: ours must be exactly that, and finite.
    /// </summary>
    private static void ExpectStep(SamplerStep step, Tensor expected, double tolerance, string because)
    {
        if (expected.isnan().all().item<bool>())
        {
            step.Next.isfinite().all().item<bool>().Should().BeTrue($"{because}: diffusers' NaN is −∞·0; the update's limit is finite");
            TensorAssert.Close(step.Next, step.PredictedOriginal, 0, because: $"{because}: the step to σ = 0 returns x̂0");
            return;
        }
        TensorAssert.Close(step.Next, expected, tolerance, because: because);
    }
}
