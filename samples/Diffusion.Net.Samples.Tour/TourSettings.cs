using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
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
}
