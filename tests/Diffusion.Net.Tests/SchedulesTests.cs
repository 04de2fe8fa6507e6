using Diffusion.Net.IO;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Tests;

public class SchedulesTests
{
    [Fact]
    public void SquaredCosCapV2_PyTorchFloat32_EqualsDiffusersAlphasCumprod_BitForBit_AtAll1000Timesteps()
    {
        using var file = SafetensorsFile.Open(Fixtures.Scheduler("scheduler_fixtures.safetensors"));
        using var expected = file.Read("alphas_cumprod");
        using var expectedBetas = file.Read("betas");
        var reference = expected.data<float>().ToArray();
        var referenceBetas = expectedBetas.data<float>().ToArray();

        var schedule = NoiseSchedules.SquaredCosCapV2(1000, 0.999, SchedulePrecision.PyTorchFloat32);

        reference.Should().HaveCount(1000);
        for (int t = 0; t < 1000; t++)
        {
            ((float)schedule.AlphaBars[t]).Should().Be(reference[t], $"ᾱ_{t} must equal diffusers' float32 value exactly");
            ((float)schedule.Betas[t]).Should().Be(referenceBetas[t], $"β_{t} must equal diffusers' float32 value exactly");
        }
    }

    [Fact]
    public void SquaredCosCapV2_Float64_IsWithinFloat32RoundingOfDiffusers()
    {
        using var file = SafetensorsFile.Open(Fixtures.Scheduler("scheduler_fixtures.safetensors"));
        using var expected = file.Read("alphas_cumprod");
        var reference = expected.data<float>().ToArray();
        var schedule = NoiseSchedules.SquaredCosCapV2();
        for (int t = 0; t < 1000; t++) schedule.AlphaBar(t).Should().BeApproximately(reference[t], 1e-6);
    }

    [Theory]
    [InlineData(90, 0.9765)]
    [InlineData(240, 0.8570)]
    [InlineData(250, 0.8459)]
    [InlineData(390, 0.6608)]
    [InlineData(500, 0.4923)]
    [InlineData(540, 0.4302)]
    [InlineData(690, 0.2145)]
    [InlineData(750, 0.1432)]
    [InlineData(960, 0.00369)]
    [InlineData(990, 0.000197)]
    public void SquaredCosCapV2_MatchesTheSpecTableOfAlphaBar(int t, double expected)
    {
        var schedule = NoiseSchedules.SquaredCosCapV2();
        schedule.AlphaBar(t).Should().BeApproximately(expected, Math.Max(5e-5, expected * 5e-3));
    }

    [Fact]
    public void SquaredCosCapV2_CapsBetaAt0999_AtTheLastTimestep()
    {
        var schedule = NoiseSchedules.SquaredCosCapV2();
        schedule.Betas[999].Should().Be(0.999);
        schedule.AlphaBar(999).Should().BeApproximately(2.43e-9, 0.02e-9);
    }

    [Fact]
    public void Linear_Cs180PartB_HasBothEndpointsAndTheSpecCheckValues()
    {
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 300);
        schedule.Length.Should().Be(300);
        schedule.Betas[0].Should().Be(1e-4);
        schedule.Betas[299].Should().BeApproximately(0.02, 1e-15);
        schedule.AlphaBar(0).Should().BeApproximately(0.9999, 1e-9);
        schedule.AlphaBar(149).Should().BeApproximately(0.467, 2e-3);
        schedule.AlphaBar(299).Should().BeApproximately(0.0481, 5e-4);
        schedule.AlphaBar(-1).Should().Be(1.0, "index −1 is the paper's t = 0, ᾱ_0 := 1");
    }

    [Fact]
    public void AlphaBar_IsTheRunningProductOfOneMinusBeta_InDouble()
    {
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 300);
        double product = 1;
        for (int t = 0; t < 300; t++)
        {
            product *= 1 - schedule.Betas[t];
            schedule.AlphaBar(t).Should().Be(product);
        }
    }

    [Fact]
    public void FromAlphaBars_RoundTripsTheTable()
    {
        var original = NoiseSchedules.SquaredCosCapV2(100);
        var rebuilt = NoiseSchedules.FromAlphaBars(original.AlphaBars);
        for (int t = 0; t < 100; t++) rebuilt.AlphaBar(t).Should().BeApproximately(original.AlphaBar(t), 1e-12);
    }

    [Fact]
    public void BadArguments_ThrowTypedExceptions_NamingTheProblem()
    {
        var schedule = NoiseSchedules.Linear();
        FluentActions.Invoking(() => schedule.AlphaBar(300)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*[-1, 299]*");
        FluentActions.Invoking(() => schedule.AlphaBar(-2)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => NoiseSchedules.Linear(0.02, 1e-4)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*betaStart ≤ betaEnd*");
        FluentActions.Invoking(() => NoiseSchedules.Linear(steps: 0)).Should().Throw<ArgumentOutOfRangeException>();
        FluentActions.Invoking(() => new NoiseSchedule([0.1, 1.5])).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*β_1*");
        FluentActions.Invoking(() => new NoiseSchedule([])).Should().Throw<ArgumentException>();
        FluentActions.Invoking(() => NoiseSchedules.FromAlphaBars([0.9, 0.95])).Should().Throw<ArgumentException>().WithMessage("*strictly decreasing*");
    }

    [Fact]
    public void DdpmSchedulerConfig_ReadsTheIfStageIConfig()
    {
        var config = DdpmSchedulerConfig.Load(Fixtures.Scheduler("if_stage1", "scheduler_config.json"));
        config.BetaSchedule.Should().Be("squaredcos_cap_v2");
        config.VarianceType.Should().Be("learned_range");
        config.Thresholding.Should().BeTrue();
        config.DynamicThresholdingRatio.Should().Be(0.95);
        config.SampleMaxValue.Should().Be(1.5);
        var sampler = config.CreateSampler();
        sampler.Options.Variance.Should().Be(DdpmVariance.LearnedRange);
        config.CreateTimesteps(100).Values.Should().StartWith([990, 980]).And.EndWith([10, 0]);
    }

    [Fact]
    public void DdpmSchedulerConfig_RejectsUnsupportedValues_ByKey()
    {
        var dir = Directory.CreateTempSubdirectory("dn-config").FullName;
        try
        {
            var path = Path.Combine(dir, "scheduler_config.json");
            File.WriteAllText(path, """{"beta_schedule": "sigmoid"}""");
            FluentActions.Invoking(() => DdpmSchedulerConfig.Load(path)).Should().Throw<ModelConfigException>().WithMessage("*beta_schedule*sigmoid*");
            File.WriteAllText(path, """{"prediction_type": "flow"}""");
            FluentActions.Invoking(() => DdpmSchedulerConfig.Load(path)).Should().Throw<ModelConfigException>().WithMessage("*prediction_type*'flow'*epsilon, sample, v_prediction*");
            File.WriteAllText(path, """{"num_train_timesteps": "many"}""");
            FluentActions.Invoking(() => DdpmSchedulerConfig.Load(path)).Should().Throw<ModelConfigException>().WithMessage("*num_train_timesteps*integer*");
            File.WriteAllText(path, "{ not json");
            FluentActions.Invoking(() => DdpmSchedulerConfig.Load(path)).Should().Throw<ModelConfigException>().WithMessage("*not valid JSON*");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [InlineData("epsilon", PredictionKind.Epsilon)]
    [InlineData("sample", PredictionKind.Sample)]
    [InlineData("v_prediction", PredictionKind.Velocity)]
    public void DdpmSchedulerConfig_ReadsThePredictionType(string value, PredictionKind kind)
    {
        using var doc = System.Text.Json.JsonDocument.Parse($$"""{"prediction_type": "{{value}}"}""");
        DdpmSchedulerConfig.Parse(doc.RootElement, "test").PredictionType.Should().Be(kind);
    }
}
