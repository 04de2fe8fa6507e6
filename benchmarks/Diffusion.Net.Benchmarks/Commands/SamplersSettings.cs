using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary><c>mnist-samplers MODEL [D] [N] [SEEDS] [ROUNDS] [SAMPLER[@γ][~MIN-MAX][:time]...]</c>.</summary>
internal sealed class SamplersSettings : SuiteSettings
{
    /// <summary>The rows when none are given.</summary>
    public static IReadOnlyList<string> DefaultRows { get; } = ["ddpm", "ddim-50", "ddim-20", "ddim-10", "dpm++2m-20", "dpm++2m-10", "unipc-10", "heun-10"];

    [CommandArgument(0, "<MODEL>")]
    [Description("A trained class-conditioned UNet (.safetensors; DDPM or flow, read from the file).")]
    public string Model { get; init; } = "";

    [CommandArgument(1, "[D]")]
    [Description("Its width D (default 32).")]
    public string? HiddenText { get; init; }

    [CommandArgument(2, "[N]")]
    [Description("Samples per row and seed (default 1000).")]
    public string? SamplesText { get; init; }

    [CommandArgument(3, "[SEEDS]")]
    [Description("Sampling seeds (default 3).")]
    public string? SeedsText { get; init; }

    [CommandArgument(4, "[ROUNDS]")]
    [Description("Timing rounds, rows alternating (default 3; 0 skips the timing).")]
    public string? RoundsText { get; init; }

    [CommandArgument(5, "[ROWS]")]
    [Description("Sampler rows: NAME, NAME@γ (another guidance scale than 5), ~MIN-MAX (γ only at model timesteps MIN…MAX), :time for timed only (default: ddpm, ddim-50/20/10, dpm++2m-20/10, unipc-10, heun-10).")]
    public string[] RowsText { get; init; } = [];

    public int Hidden => CliValues.Int(HiddenText, "D") ?? 32;

    public int Samples => CliValues.Int(SamplesText, "N", min: 10) ?? 1000;

    public int Seeds => CliValues.Int(SeedsText, "SEEDS") ?? 3;

    public int Rounds => CliValues.Int(RoundsText, "ROUNDS", min: 0) ?? 3;

    public IReadOnlyList<string> Rows => RowsText.Length > 0 ? RowsText : DefaultRows;

    /// <inheritdoc />
    protected override void Check() => _ = (CliValues.Text(Model, "MODEL"), Hidden, Samples, Seeds, Rounds);
}
