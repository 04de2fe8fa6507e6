using System.Text.Json;
using Diffusion.Net.IO;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

/// <summary>The DDPM step, thresholding and add_noise against diffusers 0.29.2's DDPMScheduler (IF configs).</summary>
public class SchedulerParityTests
{
    public static TheoryData<string> StepCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Scheduler("fixture_info.json")));
        var data = new TheoryData<string>();
        foreach (var c in doc.RootElement.GetProperty("step_cases").EnumerateArray()) data.Add(c.GetProperty("key").GetString()!);
        return data;
    }

    [Fact]
    public void EveryRecordedStepCaseIsCovered() => StepCases().Count.Should().Be(19);

    [Theory]
    [MemberData(nameof(StepCases))]
    public void DdpmStep_MatchesDiffusers_AtEveryRecordedCase(string key)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixtures.Scheduler("fixture_info.json")));
        var info = doc.RootElement.GetProperty("step_cases").EnumerateArray().Single(c => c.GetProperty("key").GetString() == key);
        int t = info.GetProperty("t").GetInt32();
        int prev = info.GetProperty("prev_t").GetInt32();
        string stage = info.GetProperty("scheduler").GetString()!;
        string group = key[..key.LastIndexOf('.')];

        var config = DdpmSchedulerConfig.Load(Fixtures.Scheduler(stage == "stage1" ? "if_stage1" : "if_stage2", "scheduler_config.json"));
        var schedule = config.CreateSchedule();
        var sampler = config.CreateSampler();

        using var file = SafetensorsFile.Open(Fixtures.Scheduler("scheduler_fixtures.safetensors"));
        using var scope = NewDisposeScope();
        var timesteps = file.Read($"{group}.timesteps").data<long>().Select(v => (int)v).ToArray();
        var sequence = Timesteps.Custom(timesteps);
        int index = Array.IndexOf(timesteps, t);
        index.Should().BeGreaterThanOrEqualTo(0);
        // diffusers' leading spacing computes prev = t − T/n (negative after the last entry); any negative prev means ᾱ = 1.
        sequence.Previous(index).Should().Be(Math.Max(prev, -1), "the previous timestep is the next entry, −1 (clean) after the last");

        var sample = file.Read("step.sample");
        var modelOutput = file.Read("step.model_output");
        var noise = new FixedNoiseSource(file.Read($"{key}.noise"));
        using var prediction = ModelPrediction.FromModelOutput(modelOutput, 3);
        using var step = sampler.Step(schedule, sample, prediction, t, Math.Max(prev, -1), noise);

        // Measured: x̂0 bit-identical, x_{t′} within 2.4e-7; asserted at 1e-6 (10× tighter than the fixture README asks).
        TensorAssert.Close(step.PredictedOriginal, file.Read($"{key}.pred_original_sample"), 1e-6, because: "x̂0 after dynamic thresholding");
        TensorAssert.Close(step.Next, file.Read($"{key}.prev_sample"), 1e-6, because: "x_{t′}");
        noise.Draws.Should().Be(t > 0 ? 1 : 0, "noise is drawn only when t > 0");
    }

    [Theory]
    [InlineData("add_noise.stage1.t700_700", "if_stage1", 700)]
    [InlineData("add_noise.stage1.t990_10", "if_stage1", -1)]
    [InlineData("add_noise.image_noising.t250_250", "if_stage2_image_noising", 250)]
    [InlineData("add_noise.image_noising.t0_999", "if_stage2_image_noising", -1)]
    public void AddNoise_MatchesDiffusers(string key, string config, int sharedTimestep)
    {
        var schedule = DdpmSchedulerConfig.Load(Fixtures.Scheduler(config, "scheduler_config.json")).CreateSchedule();
        using var file = SafetensorsFile.Open(Fixtures.Scheduler("scheduler_fixtures.safetensors"));
        using var scope = NewDisposeScope();
        var original = file.Read("add_noise.original");
        var noise = file.Read("add_noise.noise");
        var expected = file.Read(key);
        // The key names the per-row timesteps: t700_700 (both rows at 700), t990_10 (row 0 at 990, row 1 at 10).
        var parts = key[(key.LastIndexOf(".t", StringComparison.Ordinal) + 2)..].Split('_').Select(long.Parse).ToArray();
        var actual = ForwardProcess.AddNoise(schedule, original, noise, tensor(parts, ScalarType.Int64));
        TensorAssert.Close(actual, expected, 1e-5);
        if (sharedTimestep >= 0) TensorAssert.Close(ForwardProcess.AddNoise(schedule, original, noise, sharedTimestep), expected, 1e-5);
    }

    [Fact]
    public void ImageNoisingSchedule_EqualsStageOneSchedule()
    {
        using var file = SafetensorsFile.Open(Fixtures.Scheduler("scheduler_fixtures.safetensors"));
        using var a = file.Read("image_noising.alphas_cumprod");
        using var b = file.Read("alphas_cumprod");
        TensorAssert.BitIdentical(a, b);
    }

    [Theory]
    [InlineData("stage1.leading100.t990.noise", 1990)]
    [InlineData("stage1.fast27.t266.noise", 1266)]
    [InlineData("stage2.super27.t999.noise", 1999)]
    public void SeededGenerator_ReproducesPyTorchRandn_Exactly(string key, long seed)
    {
        using var file = SafetensorsFile.Open(Fixtures.Scheduler("scheduler_fixtures.safetensors"));
        using var expected = file.Read(key);
        using var generator = new Generator((ulong)seed, CPU);
        using var drawn = new GeneratorNoiseSource(generator).Next([2, 3, 8, 8], ScalarType.Float32, CPU);
        TensorAssert.BitIdentical(drawn, expected);
    }

    [Fact]
    public void DynamicThreshold_WithMaxOne_IsAPlainClip()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { -3f, -0.5f, 0.2f, 2f }).reshape(1, 1, 2, 2);
        var y = SamplerMath.DynamicThreshold(x, 0.95, 1.0);
        TensorAssert.Close(y, x.clamp(-1f, 1f), 0);
    }

    [Fact]
    public void DynamicThreshold_DividesEachRowByItsOwnClampedQuantile()
    {
        using var scope = NewDisposeScope();
        // Row 0: quantile 1.0 of |x| is 3, clamped to s_max = 2: clamp to ±2, then /2.
        // Row 1: |x| never exceeds 1, so s = 1 and the row is unchanged (MNIST's background stays 0).
        var x = tensor(new float[] { 0f, 0.5f, 1.5f, 3f, 0f, 0.25f, -0.5f, 1f }).reshape(2, 1, 2, 2);
        var y = SamplerMath.DynamicThreshold(x, 1.0, 2.0);
        TensorAssert.Close(y, tensor(new float[] { 0f, 0.25f, 0.75f, 1f, 0f, 0.25f, -0.5f, 1f }).reshape(2, 1, 2, 2), 1e-7);
        // Quantile 0.5 of row 0's |x| (0, 0.5, 1.5, 3; linear interpolation) is 1.0: below 1, so s = 1, a plain clip.
        TensorAssert.Close(SamplerMath.DynamicThreshold(x, 0.5, 2.0).narrow(0, 0, 1), x.narrow(0, 0, 1).clamp(-1f, 1f), 1e-7);
    }
}
