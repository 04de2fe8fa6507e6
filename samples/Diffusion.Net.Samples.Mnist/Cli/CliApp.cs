using System.Globalization;
using Diffusion.Net.IO;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.Cli;

/// <summary>The command-line conventions every program here shares (Spectre.Console.Cli).</summary>
internal static class CliApp
{
    /// <summary>The line width of help and messages written to a file or a pipe.</summary>
    public const int RedirectedWidth = 160;

    /// <summary>The exit code of a bad command line (unknown option or command, bad value).</summary>
    public const int UsageError = 2;

    /// <summary>The exit code of a run that failed at run time.</summary>
    public const int Failure = 1;

    /// <summary>The exit code of a run cancelled with Ctrl+C (128 + SIGINT, as shells report it).</summary>
    public const int Cancelled = 130;

    /// <summary>
    /// Strict parsing (an unknown option is an error that names it), invariant culture, help and results on
    /// <see cref="CliEnvironment.Output"/>, errors on <see cref="CliEnvironment.Error"/> with <see cref="UsageError"/>.
    /// </summary>
    public static void Configure(IConfigurator config, string name, CliEnvironment environment)
    {
        config.SetApplicationName(name);
        config.ConfigureConsole(environment.Output);
        config.UseStrictParsing();
        config.SetApplicationCulture(CultureInfo.InvariantCulture);
        config.SetExceptionHandler((e, _) => Fail(e, environment.Error));
    }

    /// <summary>
    /// The real entry: consoles on the process's standard streams, live bars only when the output is an interactive
    /// ANSI terminal (and, for a program that logs progress on standard error, when that is one too), Ctrl+C as
    /// cancellation (a second Ctrl+C ends the process).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, Func<string[], CliEnvironment, CancellationToken, Task<int>> run, bool progressOnStandardError = false)
    {
        var output = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        var error = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        // Redirected, Spectre assumes 80 columns and wraps help and messages mid-sentence: a file or a log has no edge.
        if (Console.IsOutputRedirected) output.Profile.Width = RedirectedWidth;
        if (Console.IsErrorRedirected) error.Profile.Width = RedirectedWidth;
        bool live = output.Profile.Capabilities is { Interactive: true, Ansi: true } && !(progressOnStandardError && Console.IsErrorRedirected);
        var environment = new CliEnvironment(output, error, progressOnStandardError ? Console.Error : Console.Out, live, TimeProvider.System);
        using var cancellation = new CancellationTokenSource();
        int cancels = 0;
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            if (Interlocked.Exchange(ref cancels, 1) != 0) return;
            e.Cancel = true;
            Console.Error.WriteLine("Cancelling (Ctrl+C again to stop at once)...");
            cancellation.Cancel();
        }
        Console.CancelKeyPress += OnCancel;
        try
        {
            return await run(args, environment, cancellation.Token).ConfigureAwait(false);
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }

    /// <summary>Writes <paramref name="e"/> for a user and returns the exit code it deserves.</summary>
    public static int Fail(Exception e, IAnsiConsole error)
    {
        switch (e)
        {
            case CommandAppException usage:
                if (usage.Pretty is { } pretty) error.Write(pretty);
                else error.MarkupLine("[red]Error:[/] " + Markup.Escape(CliValues.Message(usage.InnerException ?? usage)));
                error.MarkupLine("Run with [bold]--help[/] for the commands and options.");
                return UsageError;
            case OperationCanceledException:
                error.MarkupLine("[yellow]Cancelled.[/]");
                return Cancelled;
            case InvalidInputException or FileNotFoundException or DirectoryNotFoundException:
                // Bad input the user can fix: the message names the file and the defect; a stack trace would only bury it.
                error.MarkupLine("[red]Error:[/] " + Markup.Escape(e.Message));
                return Failure;
            default:
                error.WriteException(e, ExceptionFormats.ShortenPaths | ExceptionFormats.ShortenTypes);
                return Failure;
        }
    }
}
