using Spectre.Console;

namespace Diffusion.Net.Samples.Cli;

/// <summary>
/// What a program's commands write to: the output and error consoles, and how long phases are shown (live bars on a
/// terminal, plain lines otherwise). Tests pass test consoles and a plain writer; <see cref="CliApp.RunAsync"/> builds
/// the real one.
/// </summary>
/// <param name="Output">Help, results and (on a terminal) the live bars.</param>
/// <param name="Error">Usage errors and failures.</param>
/// <param name="PlainProgress">Where plain progress lines go when the bars are not live.</param>
/// <param name="LiveProgress">Whether to show live bars on <paramref name="Output"/>.</param>
/// <param name="Clock">The time source of progress.</param>
internal sealed record CliEnvironment(IAnsiConsole Output, IAnsiConsole Error, TextWriter PlainProgress, bool LiveProgress, TimeProvider Clock)
{
    /// <summary>
    /// When set, a command hands its checked options to this instead of running (tests of how documented command lines
    /// bind, without training anything).
    /// </summary>
    public Action<object>? ParseOnly { get; init; }

    /// <summary>Runs <paramref name="body"/> with this environment's progress display, or hands <paramref name="options"/> to <see cref="ParseOnly"/>.</summary>
    public Task<int> RunAsync(object options, Func<ProgressDisplay, Task<int>> body)
    {
        if (ParseOnly is { } parsed)
        {
            parsed(options);
            return Task.FromResult(0);
        }
        return WithProgressAsync(body);
    }

    /// <summary>Runs <paramref name="body"/> with this environment's progress display.</summary>
    public Task<int> WithProgressAsync(Func<ProgressDisplay, Task<int>> body)
        => LiveProgress ? LiveProgressDisplay.RunAsync(Output, Clock, body) : body(new PlainProgressDisplay(PlainProgress, Clock));
}
