using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.PartA;

/// <summary>The options of the MNIST sheets: which class-conditioned model.</summary>
internal class MnistSheetsSettings : PartASettings
{
    [CommandOption("--model <FILE>")]
    [Description("A class-conditioned MNIST checkpoint, DDPM or flow (default: the main job's, out/mnist/quick/checkpoint/model.safetensors, trained first when missing).")]
    public string? Model { get; init; }

    [CommandOption("--objective <NAME>")]
    [Description("The model to train when no --model is given: ddpm (default, the main job's quick preset) or flow (quick-flow).")]
    public string? Objective { get; init; }

    /// <inheritdoc />
    public override PartAOptions ToOptions(string command) => base.ToOptions(command) with
    {
        Model = CliValues.Text(Model, "--model"),
        Flow = CliValues.OneOf(Objective, "--objective", "ddpm", "flow") == "flow",
    };
}
