using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary><c>mnist-train-objectives [ROUNDS] [STEPS]</c>.</summary>
internal sealed class ObjectivesSettings : SuiteSettings
{
    [CommandArgument(0, "[ROUNDS]")]
    [Description("Rounds, each training both objectives (default 3).")]
    public string? RoundsText { get; init; }

    [CommandArgument(1, "[STEPS]")]
    [Description("Steps per run (default 60).")]
    public string? StepsText { get; init; }

    public int Rounds => CliValues.Int(RoundsText, "ROUNDS") ?? 3;

    public int Steps => CliValues.Int(StepsText, "STEPS") ?? 60;

    /// <inheritdoc />
    protected override void Check() => _ = (Rounds, Steps);
}
