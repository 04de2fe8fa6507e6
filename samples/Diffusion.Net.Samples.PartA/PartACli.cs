using System.Runtime.CompilerServices;
using Diffusion.Net.Samples.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

[assembly: InternalsVisibleTo("Diffusion.Net.Samples.Tests")]

namespace Diffusion.Net.Samples.PartA;

/// <summary>The Part A program's command line: the MNIST sheets by default, <c>measure</c>, and <c>deepfloyd</c>.</summary>
internal static class PartACli
{
    /// <summary>The exit code when DeepFloyd IF's weights or embeddings are missing (the message says what to download).</summary>
    public const int DeepFloydMissing = 3;

    /// <summary>Runs the program on <paramref name="args"/> in <paramref name="environment"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var app = new CommandApp<PartACommand<MnistSheetsSettings>>();
        app.WithDescription("CS180 Part A with Diffusion.Net: every sheet on the class-conditioned MNIST UNet (digits as prompts), " +
            "the Part A rates, or every sheet on DeepFloyd IF. Without a command: the MNIST sheets.");
        app.WithData(new PartACommand<MnistSheetsSettings>.Data("mnist", environment, (o, _, d, ct) => MnistSheets.RunAsync(o, d, ct)));
        app.Configure(config =>
        {
            CliApp.Configure(config, "Diffusion.Net.Samples.PartA", environment);
            config.AddCommand<PartACommand<MnistSheetsSettings>>("mnist")
                .WithDescription("Every Part A sheet (§1.1–1.9) on the MNIST model (the default).")
                .WithData(new PartACommand<MnistSheetsSettings>.Data("mnist", environment, (o, _, d, ct) => MnistSheets.RunAsync(o, d, ct)));
            config.AddCommand<PartACommand<MeasureSettings>>("measure")
                .WithDescription("The Part A rates on MNIST (SDEdit, inpainting, img2img, anagrams, hybrids), measured with the evaluation classifier.")
                .WithData(new PartACommand<MeasureSettings>.Data("measure", environment, (o, _, d, ct) => MnistSheets.MeasureAsync(o, d, ct)));
            config.AddCommand<PartACommand<DeepFloydSettings>>("deepfloyd")
                .WithDescription("Part A §0–1.9 on DeepFloyd IF (gated weights; without them the program says what to download).")
                .WithData(new PartACommand<DeepFloydSettings>.Data("deepfloyd", environment, RunDeepFloyd));
            config.AddExample("measure", "--samples", "100", "--seed", "0");
            config.AddExample("deepfloyd", "--stage1", "IF-I-L-v1.0", "--stage2", "IF-II-L-v1.0", "--embeddings", "prompt_embeds_dict.pth");
        });
        return app.RunAsync(args, cancellationToken);
    }

    private static Task<int> RunDeepFloyd(PartAOptions options, CliEnvironment environment, ProgressDisplay display, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(DeepFloydSheets.Run(options, display, cancellationToken));
        }
        catch (DeepFloydMissingException e)
        {
            environment.Error.Write(new Text(e.Message + "\n"));
            return Task.FromResult(DeepFloydMissing);
        }
    }
}
