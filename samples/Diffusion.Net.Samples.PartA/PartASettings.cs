using System.ComponentModel;
using Diffusion.Net.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.PartA;

/// <summary>The options of every Part A command.</summary>
internal class PartASettings : CommandSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Folder for the sheets (default out/part-a).")]
    public string? Output { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of every sheet and measurement (default 180).")]
    public string? Seed { get; init; }

    /// <inheritdoc />
    public sealed override ValidationResult Validate()
    {
        try
        {
            _ = ToOptions("check");
            return ValidationResult.Success();
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error(CliValues.Message(e));
        }
    }

    /// <summary>The checked options of <paramref name="command"/>.</summary>
    /// <exception cref="ArgumentException">A value is malformed or out of range.</exception>
    public virtual PartAOptions ToOptions(string command)
    {
        var defaults = new PartAOptions();
        return defaults with
        {
            Command = command,
            Output = CliValues.Text(Output, "--out") ?? defaults.Output,
            Seed = CliValues.Long(Seed, "--seed") ?? defaults.Seed,
        };
    }
}
