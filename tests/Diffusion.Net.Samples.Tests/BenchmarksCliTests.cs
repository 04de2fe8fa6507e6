extern alias benchmarks;

using FluentAssertions;
using Xunit;
using BenchmarksCli = benchmarks::Diffusion.Net.Benchmarks.Commands.BenchmarksCli;
using BenchmarksEnvironment = benchmarks::Diffusion.Net.Samples.Cli.CliEnvironment;
using CompareSettings = benchmarks::Diffusion.Net.Benchmarks.Commands.CompareSettings;
using MemorySettings = benchmarks::Diffusion.Net.Benchmarks.Commands.MemorySettings;
using ObjectivesSettings = benchmarks::Diffusion.Net.Benchmarks.Commands.ObjectivesSettings;
using ReferenceIoSettings = benchmarks::Diffusion.Net.Benchmarks.Commands.ReferenceIoSettings;
using SamplersSettings = benchmarks::Diffusion.Net.Benchmarks.Commands.SamplersSettings;
using StepsSettings = benchmarks::Diffusion.Net.Benchmarks.Commands.StepsSettings;

namespace Diffusion.Net.Samples.Tests;

/// <summary>The benchmarks' command dispatcher: every suite with the positional arguments docs/performance.md uses.</summary>
public sealed class BenchmarksCliTests
{
    private static Task<CliResult> Parse(params string[] args) => CliRun.ParseAsync<BenchmarksEnvironment>(BenchmarksCli.RunAsync, args);

    [Fact]
    public async Task Help_ExitsZero_AndListsEverySuite_ButNotTheChildCommands()
    {
        var result = await Parse("--help");

        result.ExitCode.Should().Be(0);
        foreach (var suite in new[] { "roof", "linear-kernels", "mnist-train", "mnist-steps", "mnist-train-objectives", "mnist-memory", "mnist-samplers", "mnist-quality",
                     "mnist-compare", "mnist-reference-io", "deepfloyd-step", "deepfloyd-attention", "deepfloyd-load", "micro" })
            result.Output.Should().Contain(suite);
        result.Output.Should().NotContain("-child");
    }

    [Theory]
    [InlineData("mnist-samplers", "Sampler rows: NAME, NAME@γ")]
    [InlineData("mnist-compare", "--threshold <Q>")]
    [InlineData("mnist-memory", "UNet steps in all (default 10000)")]
    [InlineData("micro", "goes to BenchmarkDotNet")]
    public async Task SuiteHelp_ExitsZero_WithItsArguments(string suite, string text)
    {
        var result = await Parse(suite, "--help");

        result.ExitCode.Should().Be(0);
        result.Output.Should().Contain(text);
    }

    [Theory]
    [InlineData("Unknown option 'bogus'", "mnist-samplers", "m.safetensors", "--bogus")]
    [InlineData("Unknown option 'fast'", "--fast")]
    [InlineData("missing required argument 'MODEL'", "mnist-samplers")]
    [InlineData("N takes a whole number; got 'x'", "mnist-compare", "32", "x", "3", "m.safetensors")]
    [InlineData("Unknown PRECISION 'fp16' (fp32, bf16)", "mnist-steps", "nchw", "fp16")]
    [InlineData("Unknown command 'mnist-everything'", "mnist-everything")]
    public async Task BadCommandLine_IsAUsageError_ThatNamesTheCulprit(string message, params string[] args)
    {
        var result = await Parse(args);

        result.ExitCode.Should().Be(2);
        result.Parsed.Should().BeNull();
        result.Error.Should().Contain(message);
    }

    [Fact]
    public async Task DocumentedCommandLines_BindTheirPositionalArguments()
    {
        var samplers = (SamplersSettings)(await Parse("mnist-samplers", "MODEL", "32", "1000", "3", "3")).Parsed!;
        (samplers.Model, samplers.Hidden, samplers.Samples, samplers.Seeds, samplers.Rounds).Should().Be(("MODEL", 32, 1000, 3, 3));
        samplers.Rows.Should().Equal(SamplersSettings.DefaultRows);

        var flowRows = (SamplersSettings)(await Parse("mnist-samplers", "out/mnist/quick-flow/checkpoint/model.safetensors", "32", "1000", "3", "1",
            "euler-10", "euler-20", "heun-10", "dpm++2m-10", "unipc-10")).Parsed!;
        (flowRows.Rounds, flowRows.Rows.Count, flowRows.Rows[^1]).Should().Be((1, 5, "unipc-10"));

        var modelOnly = (SamplersSettings)(await Parse("mnist-samplers", "m.safetensors")).Parsed!;
        (modelOnly.Hidden, modelOnly.Samples, modelOnly.Seeds, modelOnly.Rounds).Should().Be((32, 1000, 3, 3));

        var limited = (CompareSettings)(await Parse("mnist-compare", "32", "200", "3", "--limited", "a.safetensors", "b.safetensors")).Parsed!;
        (limited.Hidden, limited.Samples, limited.Seeds, limited.Limited, limited.Threshold).Should().Be((32, 200, 3, true, (double?)null));
        limited.Models.Should().Equal("a.safetensors", "b.safetensors");

        var threshold = (CompareSettings)(await Parse("mnist-compare", "32", "200", "3", "--threshold", "0.99", "m.safetensors")).Parsed!;
        (threshold.Limited, threshold.Threshold).Should().Be((false, 0.99));

        var memory = (MemorySettings)(await Parse("mnist-memory", "10000")).Parsed!;
        (memory.Steps, memory.Sampler).Should().Be((10_000, "ddpm"));

        var steps = (StepsSettings)(await Parse("mnist-steps", "nhwc", "bf16", "12")).Parsed!;
        (steps.Layout, steps.Precision, steps.Steps).Should().Be(("nhwc", "bf16", 12));

        var objectives = (ObjectivesSettings)(await Parse("mnist-train-objectives", "3", "60")).Parsed!;
        (objectives.Rounds, objectives.Steps).Should().Be((3, 60));

        var io = (ReferenceIoSettings)(await Parse("mnist-reference-io", "/tmp/unet-io")).Parsed!;
        (io.Folder, io.Model).Should().Be(("/tmp/unet-io", (string?)null));
    }

    [Fact]
    public async Task NoArguments_RunsTheRoof()
    {
        var result = await Parse();

        result.ExitCode.Should().Be(0);
        result.Parsed.Should().NotBeNull("the default command ran (parse-only)");
    }

    [Theory]
    [InlineData(new[] { "micro", "--filter", "*" }, new[] { "micro", "--", "--filter", "*" })]
    [InlineData(new[] { "micro", "--help" }, new[] { "micro", "--help" })]
    [InlineData(new[] { "micro" }, new[] { "micro" })]
    [InlineData(new[] { "roof" }, new[] { "roof" })]
    public void Micro_PassesItsArgumentsToBenchmarkDotNet(string[] args, string[] expected)
        => BenchmarksCli.ForMicro(args).Should().Equal(expected);
}
