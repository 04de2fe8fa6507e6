using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Samples.Cli;
using Diffusion.Net.Samples.Mnist;
using Diffusion.Net.Training;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Samples.Tests;

/// <summary>The MNIST program's command line: help, errors, and the documented command lines (bound, never run).</summary>
public sealed class MnistCliTests
{
    private static Task<CliResult> Parse(params string[] args) => CliRun.ParseAsync<CliEnvironment>(MnistCli.RunAsync, args);

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_ExitsZero_AndDescribesEveryOptionAndCommand(string flag)
    {
        var result = await Parse(flag);

        result.ExitCode.Should().Be(0);
        result.Parsed.Should().BeNull("help runs no command");
        foreach (var option in new[] { "--out", "--preset", "--objective", "--epochs", "--hidden", "--batch", "--lr", "--precision", "--seed", "--eval-samples",
                     "--mnist", "--fresh", "--ema", "--p-uncond", "--min-snr", "--limited-guidance", "--sampler", "--cfg", "--flow-time" })
            result.Output.Should().Contain(option);
        result.Output.Should().Contain("Samples the evaluation draws").And.Contain("Classifier-free guidance scale").And.Contain("Probability in [0, 1)");
        foreach (var (name, _) in MnistCli.Commands) result.Output.Should().Contain(name);
        result.Output.Should().Contain("dpm++2m-N", "the sampler names are listed");
    }

    [Fact]
    public async Task CommandHelp_ExitsZero_WithTheCommandsDescriptionAndOptions()
    {
        foreach (var (name, description) in MnistCli.Commands)
        {
            var result = await Parse(name, "--help");
            result.ExitCode.Should().Be(0, name);
            result.Output.Should().Contain(description.TrimEnd('.')).And.Contain("--eval-samples");
        }
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("class", "--bogus")]
    [InlineData("--epochs", "3", "--bogus", "1")]
    public async Task UnknownOption_IsAUsageError_ThatNamesIt(params string[] args)
    {
        var result = await Parse(args);

        result.ExitCode.Should().Be(CliApp.UsageError);
        result.Parsed.Should().BeNull();
        result.Error.Should().Contain("Unknown option 'bogus'").And.Contain("--help");
    }

    [Fact]
    public async Task UnknownCommand_IsAUsageError_ThatNamesIt()
    {
        var result = await Parse("figures");

        result.ExitCode.Should().Be(CliApp.UsageError);
        result.Error.Should().Contain("Unknown command 'figures'");
    }

    [Theory]
    [InlineData("--epochs needs a value", "--epochs")]
    [InlineData("--epochs needs a value", "time", "--epochs")]
    [InlineData("--epochs takes a whole number; got 'x'", "--epochs", "x")]
    [InlineData("--epochs must be positive; got 0", "--epochs", "0")]
    [InlineData("--lr takes a number; got '1,5'", "--lr", "1,5")]
    [InlineData("Unknown preset 'huge' (quick, cs180)", "--preset", "huge")]
    [InlineData("Unknown precision 'fp16' (fp32, bf16)", "--precision", "fp16")]
    [InlineData("--ema takes a decay in (0, 1) or 'off'", "--ema", "1.5")]
    [InlineData("--p-uncond takes a probability in [0, 1)", "--p-uncond", "1")]
    [InlineData("--cfg takes a guidance scale γ ≥ 0", "--cfg", "-1")]
    [InlineData("Unknown MNIST sampler 'fastest'", "--sampler", "fastest")]
    [InlineData("--min-snr weights DDPM's ε loss; it does not apply to --objective flow", "--objective", "flow", "--min-snr", "5")]
    public async Task BadValue_IsAUsageError_ThatNamesTheOption(string message, params string[] args)
    {
        var result = await Parse(args);

        result.ExitCode.Should().Be(CliApp.UsageError);
        result.Parsed.Should().BeNull();
        result.Error.Should().Contain(message);
    }

    [Fact]
    public async Task NoArguments_IsTheMainJob_WithTheDefaults()
    {
        var result = await Parse();

        result.ExitCode.Should().Be(0);
        var options = result.Parsed.Should().BeOfType<SampleOptions>().Subject;
        options.Should().Be(new SampleOptions(), "the main job runs with every default");
        options.Command.Should().Be("main");
        options.Sampler.Name.Should().Be("dpm++2m-10");
    }

    [Fact]
    public async Task DocumentedCommandLines_BindAsBefore()
    {
        var flow = (SampleOptions)(await Parse("--objective", "flow")).Parsed!;
        flow.Should().Be(new SampleOptions { Objective = MnistObjective.Flow });

        var all = (SampleOptions)(await Parse("all", "--preset", "cs180")).Parsed!;
        all.Should().Be(new SampleOptions { Command = "all", Preset = "cs180" });

        var cs180 = (SampleOptions)(await Parse("class", "--preset", "cs180", "--precision", "bf16", "--eval-samples", "500", "--out", "runs/cs180-bf16")).Parsed!;
        cs180.Should().Be(new SampleOptions { Command = "class", Preset = "cs180", Precision = TrainingPrecision.BFloat16, EvalSamples = 500, Output = "runs/cs180-bf16" });

        var snr = (SampleOptions)(await Parse("--out", "runs/g5-s0", "--fresh", "--seed", "0", "--min-snr", "5")).Parsed!;
        snr.Should().Be(new SampleOptions { Output = "runs/g5-s0", Fresh = true, Seed = 0, MinSnrSet = true, MinSnrGamma = 5 });

        var tuned = (SampleOptions)(await Parse("--out", "runs/X", "--fresh", "--ema", "0.999", "--batch", "64", "--lr", "2e-3")).Parsed!;
        tuned.Should().Be(new SampleOptions { Output = "runs/X", Fresh = true, EmaSet = true, Ema = 0.999, Batch = 64, LearningRate = 2e-3 });
        tuned.Recipe(MnistModelKind.ClassConditioned).Training.EmaDecay.Should().Be(0.999);

        var off = (SampleOptions)(await Parse("time", "--objective", "flow", "--ema", "off", "--flow-time", "logit-normal", "--sampler", "euler-20", "--cfg", "3", "--limited-guidance")).Parsed!;
        off.Should().Be(new SampleOptions
        {
            Command = "time", Objective = MnistObjective.Flow, EmaSet = true, Ema = null, FlowTime = FlowTimeDistribution.LogitNormal, SamplerName = "euler-20",
            GuidanceScale = 3, EvaluateLimitedGuidance = true,
        });
    }
}
