using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary><c>mnist-reference-io DIR [MODEL]</c>.</summary>
internal sealed class ReferenceIoSettings : SuiteSettings
{
    [CommandArgument(0, "<DIR>")]
    [Description("Folder for model.safetensors and io.safetensors.")]
    public string Folder { get; init; } = "";

    [CommandArgument(1, "[MODEL]")]
    [Description("A trained class-conditioned UNet (default: random weights, seed 7).")]
    public string? Model { get; init; }

    /// <inheritdoc />
    protected override void Check() => _ = (CliValues.Text(Folder, "DIR"), CliValues.Text(Model, "MODEL"));
}
