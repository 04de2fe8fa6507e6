using System.ComponentModel;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary><c>mnist-memory [STEPS] [SAMPLER]</c>.</summary>
internal sealed class MemorySettings : SuiteSettings
{
    [CommandArgument(0, "[STEPS]")]
    [Description("UNet steps in all (default 10000).")]
    public string? StepsText { get; init; }

    [CommandArgument(1, "[SAMPLER]")]
    [Description("A DDPM MnistSampler name: ddpm (default), dpm++2m-10, ddim-50, ...")]
    public string? SamplerText { get; init; }

    public int Steps => CliValues.Int(StepsText, "STEPS") ?? 10_000;

    public string Sampler => CliValues.Text(SamplerText, "SAMPLER") ?? "ddpm";

    /// <inheritdoc />
    protected override void Check() => _ = (Steps, MnistSampler.Parse(Sampler));
}
