using Diffusion.Net.Hosting;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Xunit;

namespace Diffusion.Net.Tests;

public class HostingTests
{
    [Fact]
    public void AddDiffusion_RegistersTheRuntime_AndReturnsABuilder()
    {
        var services = new ServiceCollection();
        var builder = services.AddDiffusion(o => { o.DType = "bfloat16"; o.DefaultSeed = 180; });
        builder.Services.Should().BeSameAs(services);
        using var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<DiffusionRuntime>();
        runtime.DType.Should().Be(TorchSharp.torch.ScalarType.BFloat16);
        runtime.CreateRunOptions().Seed.Should().Be(180);
    }

    [Fact]
    public void InvalidOptions_FailValidation_NamingEveryBadValue()
    {
        var services = new ServiceCollection();
        services.AddDiffusion(o => { o.DType = "float16"; o.Device = "tpu"; o.Threads = 0; });
        using var provider = services.BuildServiceProvider();
        var ex = FluentActions.Invoking(() => provider.GetRequiredService<IOptions<DiffusionOptions>>().Value)
            .Should().Throw<OptionsValidationException>().Which;
        ex.Failures.Should().HaveCount(3);
        ex.Message.Should().Contain("float16").And.Contain("tpu").And.Contain("Threads");
    }

    [Fact]
    public void Runtime_LogsWhichAllocatorServesCpuTensors_AtStart()
    {
        var logger = new ListLogger();
        _ = new DiffusionRuntime(Options.Create(new DiffusionOptions()), logger);
        logger.Messages.Should().ContainSingle(m => m.Level == LogLevel.Information && m.Text.Contains("allocated by"))
            .Which.Text.Should().Contain(NativeHeap.Allocator.ToString());
    }

    private sealed class ListLogger : ILogger<DiffusionRuntime>
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add((logLevel, formatter(state, exception)));
    }

    [Fact]
    public async Task Runtime_RunsAPipeline()
    {
        var services = new ServiceCollection();
        services.AddDiffusion();
        await using var provider = services.BuildServiceProvider();
        var runtime = provider.GetRequiredService<DiffusionRuntime>();
        var schedule = NoiseSchedules.Linear(steps: 10);
        using var target = TorchSharp.torch.zeros(1, 1, 4, 4);
        var model = new Support.PointMassPredictor(schedule, target);
        using var result = await runtime.RunAsync(DiffusionPipeline.FromNoise(1, 1, 4, 4).Denoise(model, Timesteps.All(10), Condition.None), seed: 3);
        result.Seed.Should().Be(3);
        result.Sample.abs().max().item<float>().Should().BeLessThan(1e-4f);
    }
}
