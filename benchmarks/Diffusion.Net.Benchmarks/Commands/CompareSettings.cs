using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary><c>mnist-compare D N SEEDS [--limited] [--threshold Q] MODEL...</c>.</summary>
internal sealed class CompareSettings : SuiteSettings
{
    [CommandArgument(0, "<D>")]
    [Description("Width D of every model.")]
    public string HiddenText { get; init; } = "";

    [CommandArgument(1, "<N>")]
    [Description("Samples per model and seed.")]
    public string SamplesText { get; init; } = "";

    [CommandArgument(2, "<SEEDS>")]
    [Description("Sampling seeds per model.")]
    public string SeedsText { get; init; } = "";

    [CommandArgument(3, "<MODELS>")]
    [Description("Trained class-conditioned DDPM UNets (.safetensors).")]
    public string[] Models { get; init; } = [];

    [CommandOption("--limited")]
    [Description("CFG γ = 5 only for t ≤ 150 (conditional elsewhere) instead of at every step.")]
    public bool Limited { get; init; }

    [CommandOption("--threshold <Q>")]
    [Description("Dynamically threshold x̂_0 at this quantile of |x̂_0| (s in [[1, 2]]) before the [[0, 1]] clamp.")]
    public string? ThresholdText { get; init; }

    public int Hidden => CliValues.Int(HiddenText, "D")!.Value;

    public int Samples => CliValues.Int(SamplesText, "N", min: 10)!.Value;

    public int Seeds => CliValues.Int(SeedsText, "SEEDS")!.Value;

    public double? Threshold => CliValues.Double(ThresholdText, "--threshold") is { } q
        ? q > 0 && q <= 1 ? q : throw new ArgumentException($"--threshold takes a quantile in (0, 1]; got {q}.") : null;

    /// <inheritdoc />
    protected override void Check()
    {
        _ = (Hidden, Samples, Seeds, Threshold);
        if (Models.Length == 0) throw new ArgumentException("mnist-compare needs at least one MODEL.");
    }
}
