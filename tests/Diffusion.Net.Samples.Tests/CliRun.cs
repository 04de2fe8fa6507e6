using System.Reflection;
using Spectre.Console;
using Spectre.Console.Testing;

namespace Diffusion.Net.Samples.Tests;

/// <summary>What a program run in-process printed and returned.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Output">Standard output (help, results).</param>
/// <param name="Error">Standard error (usage errors, failures) and any plain progress lines.</param>
/// <param name="Parsed">The options the command would have run with, when run parse-only; null when no command ran.</param>
internal sealed record CliResult(int ExitCode, string Output, string Error, object? Parsed);

/// <summary>
/// Runs a program's entry on wide test consoles (no line wraps), without a terminal. Each program assembly carries its
/// own copy of the shared <c>CliEnvironment</c> (the programs link the same sources, and the test project reads all but
/// the MNIST one under extern aliases), so the environment type is a type argument, built by reflection.
/// </summary>
internal static class CliRun
{
    /// <summary>Runs <paramref name="program"/>; commands only bind their options (handed back in <see cref="CliResult.Parsed"/>), they do no work.</summary>
    public static Task<CliResult> ParseAsync<TEnvironment>(Func<string[], TEnvironment, CancellationToken, Task<int>> program, params string[] args)
        => RunAsync(program, parseOnly: true, args);

    /// <summary>Runs <paramref name="program"/> with its commands (only for commands that fail before any work).</summary>
    public static async Task<CliResult> RunAsync<TEnvironment>(Func<string[], TEnvironment, CancellationToken, Task<int>> program, bool parseOnly, params string[] args)
    {
        var output = new TestConsole();
        output.Profile.Width = 250;
        var error = new TestConsole();
        error.Profile.Width = 250;
        using var plain = new StringWriter();
        object? parsed = null;
        var environment = (TEnvironment)Activator.CreateInstance(typeof(TEnvironment), (IAnsiConsole)output, (IAnsiConsole)error, (TextWriter)plain, false, TimeProvider.System)!;
        if (parseOnly)
        {
            var property = typeof(TEnvironment).GetProperty("ParseOnly", BindingFlags.Public | BindingFlags.Instance)
                ?? throw new InvalidOperationException($"{typeof(TEnvironment)} has no ParseOnly property.");
            property.SetValue(environment, new Action<object>(o => parsed = o));
        }
        int code = await program(args, environment, CancellationToken.None);
        return new CliResult(code, output.Output, error.Output + plain, parsed);
    }
}
