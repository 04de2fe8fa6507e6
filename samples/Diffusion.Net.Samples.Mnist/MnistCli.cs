using System.Runtime.CompilerServices;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

[assembly: InternalsVisibleTo("Diffusion.Net.Samples.Tests")]

namespace Diffusion.Net.Samples.Mnist;

/// <summary>The MNIST program's command line: the main job by default, and every Part B figure by command.</summary>
internal static class MnistCli
{
    /// <summary>The commands with what each does, in the order of the help.</summary>
    public static IReadOnlyList<(string Name, string Description)> Commands { get; } =
    [
        ("main", "The main job (the default): train the class-conditioned UNet, sample 4 of each digit with CFG, evaluate."),
        ("noising", "Part B §1.2: test digits noised at seven σ."),
        ("denoiser", "Part B §1.2.1: the single-step denoiser, its loss and test results."),
        ("pure-noise", "Part B §1 (flow version): the denoiser trained on pure noise."),
        ("time", "Part B §2.2: the time-conditioned UNet, its loss, samples by epoch and a GIF."),
        ("class", "Part B §2.4: the class-conditioned UNet with snapshots by epoch, a GIF and the evaluation."),
        ("all", "Every figure above (pure-noise only with --objective flow)."),
    ];

    /// <summary>Runs the program on <paramref name="args"/> in <paramref name="environment"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var app = new CommandApp<MnistCommand>();
        app.WithDescription("CS180 Part B on MNIST with Diffusion.Net. Without a command: the main job.\n" +
            "DDPM samplers: " + MnistSampler.Known + ".\nFlow samplers: " + MnistSampler.KnownFlow + ".");
        app.WithData(new MnistCommand.Data("main", environment));
        app.Configure(config =>
        {
            CliApp.Configure(config, "Diffusion.Net.Samples.Mnist", environment);
            foreach (var (name, description) in Commands)
                config.AddCommand<MnistCommand>(name).WithDescription(description).WithData(new MnistCommand.Data(name, environment));
            config.AddExample("--objective", "flow");
            config.AddExample("all", "--preset", "cs180");
            config.AddExample("class", "--preset", "cs180", "--precision", "bf16", "--eval-samples", "500", "--out", "runs/cs180-bf16");
        });
        return app.RunAsync(args, cancellationToken);
    }
}
