using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary>The two arguments of the hidden child commands the DeepFloyd suites start (one process per configuration).</summary>
internal sealed class ChildSettings : SuiteSettings
{
    [CommandArgument(0, "<FIRST>")]
    public string First { get; init; } = "";

    [CommandArgument(1, "<SECOND>")]
    public string Second { get; init; } = "";
}
