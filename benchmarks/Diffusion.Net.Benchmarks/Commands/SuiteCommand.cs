using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary>A benchmark suite: reads its settings, then runs with the environment's progress display.</summary>
/// <typeparam name="TSettings">The suite's arguments.</typeparam>
internal sealed class SuiteCommand<TSettings> : AsyncCommand<TSettings>
    where TSettings : CommandSettings
{
    /// <summary>What a registration carries: the environment and the suite's work.</summary>
    public sealed record Data(CliEnvironment Environment, Func<TSettings, CommandContext, ProgressDisplay, CancellationToken, Task> Run);

    /// <inheritdoc />
    public override Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancellationToken)
    {
        var data = (Data)context.Data!;
        return data.Environment.RunAsync(settings, async display =>
        {
            await data.Run(settings, context, display, cancellationToken).ConfigureAwait(false);
            return 0;
        });
    }
}
