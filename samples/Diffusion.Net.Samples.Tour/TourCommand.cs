using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.Tour;

/// <summary>Writes the Tour's sheets into the folder of its argument.</summary>
internal sealed class TourCommand : AsyncCommand<TourSettings>
{
    /// <inheritdoc />
    public override Task<int> ExecuteAsync(CommandContext context, TourSettings settings, CancellationToken cancellationToken)
    {
        var environment = (CliEnvironment)context.Data!;
        var output = settings.OutputFolder;
        return environment.RunAsync(output, display => Task.FromResult(TourSheets.Write(output, display, cancellationToken)));
    }
}
