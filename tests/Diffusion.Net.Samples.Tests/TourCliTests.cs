extern alias tour;

using FluentAssertions;
using Xunit;
using TourCli = tour::Diffusion.Net.Samples.Tour.TourCli;
using TourEnvironment = tour::Diffusion.Net.Samples.Cli.CliEnvironment;

namespace Diffusion.Net.Samples.Tests;

/// <summary>The Tour's command line: its one argument is a folder, and never an option.</summary>
public sealed class TourCliTests
{
    private static Task<CliResult> Parse(params string[] args) => CliRun.ParseAsync<TourEnvironment>(TourCli.RunAsync, args);

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_ExitsZero_DescribesTheArgument_AndCreatesNoFolder(string flag)
    {
        var before = Directory.GetDirectories(Directory.GetCurrentDirectory());

        // Run for real (not parse-only): help must not reach the sheets, which would create the folder.
        var result = await CliRun.RunAsync<TourEnvironment>(TourCli.RunAsync, parseOnly: false, flag);

        result.ExitCode.Should().Be(0);
        result.Output.Should().Contain("[OUTPUT]").And.Contain("Folder for the six sheets (default out/tour)");
        Directory.GetDirectories(Directory.GetCurrentDirectory()).Should().BeEquivalentTo(before);
        Directory.Exists(flag).Should().BeFalse();
    }

    [Theory]
    [InlineData("--bogus", "bogus")]
    [InlineData("--out", "out")]
    [InlineData("-x", "x")]
    public async Task AnOption_IsNeverAFolder_ButAUsageErrorThatNamesIt(string option, string name)
    {
        var result = await CliRun.RunAsync<TourEnvironment>(TourCli.RunAsync, parseOnly: false, option);

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain($"Unknown option '{name}'");
        Directory.Exists(option).Should().BeFalse();
    }

    [Fact]
    public async Task TheArgument_IsTheOutputFolder_DefaultOutTour()
    {
        (await Parse()).Parsed.Should().Be(Path.Combine("out", "tour"));
        (await Parse("sheets/tour")).Parsed.Should().Be("sheets/tour");
    }

    [Fact]
    public async Task TwoFolders_AreAUsageError()
    {
        var result = await Parse("a", "b");

        result.ExitCode.Should().Be(2);
        result.Parsed.Should().BeNull();
    }
}
