using Diffusion.Net.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary>A suite's arguments: text on the command line, read by <see cref="Check"/> with messages that name them.</summary>
internal class SuiteSettings : CommandSettings
{
    /// <inheritdoc />
    public sealed override ValidationResult Validate()
    {
        try
        {
            Check();
            return ValidationResult.Success();
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error(CliValues.Message(e));
        }
    }

    /// <summary>Reads every argument once, so that a bad one fails before any work.</summary>
    /// <exception cref="ArgumentException">An argument is malformed or out of range.</exception>
    protected virtual void Check()
    {
    }
}
