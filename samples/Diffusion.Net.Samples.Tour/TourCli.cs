using System.Runtime.CompilerServices;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

[assembly: InternalsVisibleTo("Diffusion.Net.Samples.Tests")]

namespace Diffusion.Net.Samples.Tour;

/// <summary>The Tour's command line: one optional argument, the output folder.</summary>
internal static class TourCli
{
    /// <summary>Runs the program on <paramref name="args"/> in <paramref name="environment"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var app = new CommandApp<TourCommand>();
        app.WithDescription("A tour of Diffusion.Net's core on a model that needs no training: the exact (memorising) denoiser of five photos " +
            "at 64×64, on DeepFloyd IF's cosine schedule and CS180's strided timesteps. Writes six labelled PNG sheets.");
        app.WithData(environment);
        app.Configure(config =>
        {
            CliApp.Configure(config, "Diffusion.Net.Samples.Tour", environment);
            config.AddExample("out/my-tour");
        });
        return app.RunAsync(args, cancellationToken);
    }
}
