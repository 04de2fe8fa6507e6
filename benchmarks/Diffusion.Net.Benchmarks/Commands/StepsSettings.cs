using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary><c>mnist-steps LAYOUT PRECISION [STEPS]</c>.</summary>
internal sealed class StepsSettings : SuiteSettings
{
    [CommandArgument(0, "<LAYOUT>")]
    [Description("nchw or nhwc.")]
    public string LayoutText { get; init; } = "";

    [CommandArgument(1, "<PRECISION>")]
    [Description("fp32 or bf16.")]
    public string PrecisionText { get; init; } = "";

    [CommandArgument(2, "[STEPS]")]
    [Description("Training steps (default 12).")]
    public string? StepsText { get; init; }

    public string Layout => CliValues.OneOf(LayoutText, "LAYOUT", "nchw", "nhwc")!;

    public string Precision => CliValues.OneOf(PrecisionText, "PRECISION", "fp32", "bf16")!;

    public int Steps => CliValues.Int(StepsText, "STEPS") ?? 12;

    /// <inheritdoc />
    protected override void Check() => _ = (Layout, Precision, Steps);
}
