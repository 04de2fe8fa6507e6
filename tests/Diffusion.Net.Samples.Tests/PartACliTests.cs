extern alias parta;

using FluentAssertions;
using Xunit;
using PartACli = parta::Diffusion.Net.Samples.PartA.PartACli;
using PartAEnvironment = parta::Diffusion.Net.Samples.Cli.CliEnvironment;
using PartAOptions = parta::Diffusion.Net.Samples.PartA.PartAOptions;

namespace Diffusion.Net.Samples.Tests;

/// <summary>The Part A program's command line.</summary>
public sealed class PartACliTests
{
    private static Task<CliResult> Parse(params string[] args) => CliRun.ParseAsync<PartAEnvironment>(PartACli.RunAsync, args);

    [Fact]
    public async Task Help_ExitsZero_AndDescribesTheCommandsAndOptions()
    {
        var result = await Parse("--help");

        result.ExitCode.Should().Be(0);
        result.Parsed.Should().BeNull();
        result.Output.Should().Contain("mnist").And.Contain("measure").And.Contain("deepfloyd")
            .And.Contain("--out").And.Contain("Folder for the sheets").And.Contain("--seed").And.Contain("--model").And.Contain("--objective");
    }

    [Theory]
    [InlineData("measure", "--samples", "Samples per measurement")]
    [InlineData("deepfloyd", "--stage1", "A diffusers folder of DeepFloyd/IF-I-L-v1.0")]
    [InlineData("deepfloyd", "--embeddings", "prompt_embeds_dict.pth")]
    [InlineData("mnist", "--model", "A class-conditioned MNIST checkpoint")]
    public async Task CommandHelp_ExitsZero_WithItsOptions(string command, string option, string description)
    {
        var result = await Parse(command, "--help");

        result.ExitCode.Should().Be(0);
        result.Output.Should().Contain(option).And.Contain(description);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("measure", "--bogus")]
    [InlineData("deepfloyd", "--samples", "5")]
    public async Task UnknownOption_IsAUsageError_ThatNamesIt(params string[] args)
    {
        var result = await Parse(args);

        result.ExitCode.Should().Be(2);
        result.Parsed.Should().BeNull();
        result.Error.Should().MatchRegex("Unknown option '(bogus|samples)'");
    }

    [Theory]
    [InlineData("--seed takes a whole number; got 'abc'", "--seed", "abc")]
    [InlineData("--samples must be positive; got 0", "measure", "--samples", "0")]
    [InlineData("Unknown --objective 'gan' (ddpm, flow)", "--objective", "gan")]
    public async Task BadValue_IsAUsageError_ThatNamesTheOption(string message, params string[] args)
    {
        var result = await Parse(args);

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain(message);
    }

    [Fact]
    public async Task DocumentedCommandLines_BindAsBefore()
    {
        (await Parse()).Parsed.Should().Be(new PartAOptions());
        (await Parse("measure", "--samples", "100", "--seed", "0")).Parsed.Should().Be(new PartAOptions { Command = "measure", Samples = 100, Seed = 0 });
        (await Parse("measure", "--objective", "flow")).Parsed.Should().Be(new PartAOptions { Command = "measure", Flow = true });
        (await Parse("measure", "--samples", "100", "--seed", "0", "--model", "out/mnist/quick-flow/checkpoint/model.safetensors")).Parsed
            .Should().Be(new PartAOptions { Command = "measure", Samples = 100, Seed = 0, Model = "out/mnist/quick-flow/checkpoint/model.safetensors" });
        (await Parse("deepfloyd", "--stage1", "IF-I-L-v1.0", "--stage2", "IF-II-L-v1.0", "--embeddings", "prompt_embeds_dict.pth", "--bf16")).Parsed
            .Should().Be(new PartAOptions { Command = "deepfloyd", Stage1 = "IF-I-L-v1.0", Stage2 = "IF-II-L-v1.0", Embeddings = "prompt_embeds_dict.pth", Bf16 = true });
    }

    [Fact]
    public async Task DeepFloyd_WithoutWeights_ExitsThree_AndSaysWhatIsNeeded()
    {
        // Runs the command for real: the missing weights are found before anything is loaded.
        var result = await CliRun.RunAsync<PartAEnvironment>(PartACli.RunAsync, parseOnly: false, "deepfloyd", "--out", Path.Combine(Path.GetTempPath(), "dn-parta-test"));

        result.ExitCode.Should().Be(PartACli.DeepFloydMissing);
        result.Error.Should().Contain("DeepFloyd IF is not available").And.Contain("--stage1 DIR").And.Contain("--embeddings FILE");
    }
}
