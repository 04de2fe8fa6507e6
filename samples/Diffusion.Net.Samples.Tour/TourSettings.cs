using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.Tour;

/// <summary>The Tour's one argument: where the sheets go.</summary>
internal sealed class TourSettings : CommandSettings
{
    [CommandArgument(0, "[OUTPUT]")]
    [Description("Folder for the six sheets (default out/tour).")]
    public string? Output { get; init; }

    /// <summary>The checked output folder.</summary>
    public string OutputFolder => CliValues.Text(Output, "OUTPUT") ?? Path.Combine("out", "tour");

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        // Strict parsing already rejects "--help"-like words it does not know; a folder name that starts with '-' is
        // almost always a mistyped option, so it is refused rather than created.
        if (Output is { } o && o.StartsWith('-')) return ValidationResult.Error($"'{o}' looks like an option, not an output folder; use ./{o} for a folder of that name.");
        return ValidationResult.Success();
    }
}
