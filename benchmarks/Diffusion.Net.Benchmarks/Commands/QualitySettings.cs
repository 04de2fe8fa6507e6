using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary><c>mnist-quality MODEL [D] [N]</c>.</summary>
internal sealed class QualitySettings : SuiteSettings
{
    [CommandArgument(0, "<MODEL>")]
    [Description("A trained class-conditioned DDPM UNet (.safetensors).")]
    public string Model { get; init; } = "";

    [CommandArgument(1, "[D]")]
    [Description("Its width D (default 32).")]
    public string? HiddenText { get; init; }

    [CommandArgument(2, "[N]")]
    [Description("Samples per variant (default 200).")]
    public string? SamplesText { get; init; }

    public int Hidden => CliValues.Int(HiddenText, "D") ?? 32;

    public int Samples => CliValues.Int(SamplesText, "N", min: 10) ?? 200;

    /// <inheritdoc />
    protected override void Check() => _ = (CliValues.Text(Model, "MODEL"), Hidden, Samples);
}
