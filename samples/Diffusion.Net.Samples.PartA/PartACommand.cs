using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.PartA;

/// <summary>A Part A command: reads its settings, then runs its work with the environment's progress display.</summary>
/// <typeparam name="TSettings">The command's options.</typeparam>
internal sealed class PartACommand<TSettings> : AsyncCommand<TSettings>
    where TSettings : PartASettings
{
    /// <summary>What a registration carries: the command's name, the environment, and its work.</summary>
    public sealed record Data(string Command, CliEnvironment Environment, Func<PartAOptions, CliEnvironment, ProgressDisplay, CancellationToken, Task<int>> Run);

    /// <inheritdoc />
    public override Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        var data = (Data)context.Data!;
        var options = settings.ToOptions(data.Command);
        return data.Environment.RunAsync(options, display => data.Run(options, data.Environment, display, cancellationToken));
    }
}
