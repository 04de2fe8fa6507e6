using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.PartA;

/// <summary>The options of <c>measure</c>: how many samples per rate.</summary>
internal sealed class MeasureSettings : MnistSheetsSettings
{
    [CommandOption("--samples <N>")]
    [Description("Samples per measurement (default 100).")]
    public string? Samples { get; init; }

    /// <inheritdoc />
    public override PartAOptions ToOptions(string command)
    {
        var options = base.ToOptions(command);
        return options with { Samples = CliValues.Int(Samples, "--samples") ?? options.Samples };
    }
}
