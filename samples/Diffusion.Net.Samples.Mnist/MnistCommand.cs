using System.Diagnostics;
using System.Globalization;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.Mnist;

/// <summary>Every command of the MNIST program: the options are common, the command picks the figures.</summary>
internal sealed class MnistCommand : AsyncCommand<MnistSettings>
{
    /// <summary>The command name and environment a registration carries.</summary>
    public sealed record Data(string Command, CliEnvironment Environment);

    /// <inheritdoc />
    public override Task<int> ExecuteAsync(CommandContext context, MnistSettings settings, CancellationToken cancellationToken)
    {
        var (command, environment) = (Data)context.Data!;
        var options = settings.ToOptions(command);
        return environment.RunAsync(options, display => RunAsync(options, display, cancellationToken));
    }

    private static async Task<int> RunAsync(SampleOptions options, ProgressDisplay display, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Console.WriteLine($"Diffusion.Net MNIST — command '{options.Command}', output '{Path.GetFullPath(options.Output)}'");

        var source = new MnistSourceOptions { Directory = options.MnistDirectory };
        var fetchClock = Stopwatch.StartNew();
        var train = await MnistDataset.LoadAsync(MnistSplit.Train, source, display.Log, cancellationToken);
        var test = await MnistDataset.LoadAsync(MnistSplit.Test, source, display.Log, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MNIST: {train.Count} training and {test.Count} test digits ({fetchClock.Elapsed.TotalSeconds:0.0} s)"));
        var work = Stopwatch.StartNew();

        var figures = new PartBFigures(train, test, options, display, cancellationToken);
        switch (options.Command)
        {
            case "main": await figures.MainJobAsync(); break;
            case "noising": figures.Noising(); break;
            case "denoiser": figures.Denoiser(); break;
            case "pure-noise": figures.PureNoiseDenoiser(); break;
            case "time": figures.TimeConditioned(); break;
            case "class": await figures.ClassConditionedAsync(evaluate: true); break;
            case "all":
                figures.Noising();
                figures.Denoiser();
                if (options.Objective == MnistObjective.Flow) figures.PureNoiseDenoiser();
                figures.TimeConditioned();
                await figures.ClassConditionedAsync(evaluate: true);
                break;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Done in {clock.Elapsed.TotalMinutes:0.0} min ({work.Elapsed.TotalMinutes:0.0} min after fetching MNIST). Pictures in {Path.GetFullPath(options.Output)}"));
        return 0;
    }
}
