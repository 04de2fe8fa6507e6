using System.Runtime.CompilerServices;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Diffusion.Net.Samples.Cli;
using Spectre.Console.Cli;

[assembly: InternalsVisibleTo("Diffusion.Net.Samples.Tests")]

namespace Diffusion.Net.Benchmarks.Commands;

/// <summary>
/// The benchmarks' command line: one command per suite (roof by default), positional arguments as documented in
/// docs/performance.md. Results go to standard output (Markdown tables); progress goes to standard error when that is
/// not a terminal, so that a redirected table stays clean.
/// </summary>
internal static class BenchmarksCli
{
    /// <summary>Runs the program on <paramref name="args"/> in <paramref name="environment"/>; returns the exit code.</summary>
    public static Task<int> RunAsync(string[] args, CliEnvironment environment, CancellationToken cancellationToken = default)
    {
        var app = new CommandApp<SuiteCommand<EmptyCommandSettings>>();
        app.WithDescription("Benchmarks of Diffusion.Net; results, with the machine and the command, go to docs/performance.md. Without a command: roof.");
        app.WithData(Suite<EmptyCommandSettings>(environment, (_, _, _, _) => { Harness.Roof(); return Task.CompletedTask; }));
        app.Configure(config =>
        {
            CliApp.Configure(config, "Diffusion.Net.Benchmarks", environment);
            config.AddCommand<SuiteCommand<EmptyCommandSettings>>("roof")
                .WithDescription("fp32 and bf16 GEMM throughput (2048² matmul), the roof for the others (the default).")
                .WithData(Suite<EmptyCommandSettings>(environment, (_, _, _, _) => { Harness.Roof(); return Task.CompletedTask; }));
            config.AddCommand<SuiteCommand<EmptyCommandSettings>>("linear-kernels")
                .WithDescription("T5's float32 linear layers (77 tokens, also Q/K/V and the gate fused) through libtorch and through MKL's packed-weight API (one weight, several in turn, on 2 MiB pages), against the CPU's FMA peak and read bandwidth (5 rounds).")
                .WithData(Suite<EmptyCommandSettings>(environment, (_, _, _, _) => { LinearKernelBenchmarks.Run(5); return Task.CompletedTask; }));
            config.AddCommand<SuiteCommand<EmptyCommandSettings>>("mnist-train")
                .WithDescription("CS180 class-conditioned UNet (D = 64, batch 128) training throughput, fp32 and bf16, NCHW and NHWC, against the roof and the analytic FLOPs.")
                .WithData(Suite<EmptyCommandSettings>(environment, (_, _, d, ct) => MnistBenchmarks.TrainingThroughputAsync(d, ct)));
            config.AddCommand<SuiteCommand<StepsSettings>>("mnist-steps")
                .WithDescription("A few D = 64 training steps, for ONEDNN_VERBOSE=1 and tools/onednn_profile.py.")
                .WithData(Suite<StepsSettings>(environment, (s, _, _, _) => MnistBenchmarks.TrainingStepsAsync(s.Layout, s.Precision, s.Steps)));
            config.AddCommand<SuiteCommand<ObjectivesSettings>>("mnist-train-objectives")
                .WithDescription("Training images/s of the quick recipe by ε-prediction and by flow matching, alternating.")
                .WithData(Suite<ObjectivesSettings>(environment, (s, _, d, ct) => MnistBenchmarks.ObjectiveThroughputAsync(s.Rounds, s.Steps, d, ct)));
            config.AddCommand<SuiteCommand<MemorySettings>>("mnist-memory")
                .WithDescription("RSS over many UNet steps of sampling with a MnistSampler (must stay flat).")
                .WithData(Suite<MemorySettings>(environment, (s, _, d, ct) => MnistBenchmarks.MemoryFlatnessAsync(s.Steps, s.Sampler, d, ct)));
            config.AddCommand<SuiteCommand<SamplersSettings>>("mnist-samplers")
                .WithDescription("Quality against model evaluations, and seconds per 100 digits, of every sampler row on one trained model.")
                .WithData(Suite<SamplersSettings>(environment, (s, _, d, ct) => MnistBenchmarks.SamplerRowsAsync(s.Model, s.Hidden, s.Samples, s.Seeds, s.Rounds, s.Rows, d, ct)))
                .WithExample("mnist-samplers", "out/mnist/quick/checkpoint/model.safetensors", "32", "1000", "3", "3");
            config.AddCommand<SuiteCommand<QualitySettings>>("mnist-quality")
                .WithDescription("Agreement and feature distance of B.4 samples of a trained class-conditioned UNet under sampling variants.")
                .WithData(Suite<QualitySettings>(environment, (s, _, d, ct) => MnistBenchmarks.SamplingQualityAsync(s.Model, s.Hidden, s.Samples, d, ct)));
            config.AddCommand<SuiteCommand<CompareSettings>>("mnist-compare")
                .WithDescription("The main job's sampling of several trained class-conditioned UNets at several seeds (mean ± sd).")
                .WithData(Suite<CompareSettings>(environment, (s, _, d, ct) => MnistBenchmarks.CompareModelsAsync(s.Hidden, s.Samples, s.Seeds, s.Limited, s.Threshold, s.Models, d, ct)))
                .WithExample("mnist-compare", "32", "200", "3", "--limited", "runs/a/quick/checkpoint/model.safetensors", "runs/b/quick/checkpoint/model.safetensors");
            config.AddCommand<SuiteCommand<ReferenceIoSettings>>("mnist-reference-io")
                .WithDescription("Weights and one forward pass of the class-conditioned UNet, for tools/pytorch_reference/check_mnist_unet.py.")
                .WithData(Suite<ReferenceIoSettings>(environment, (s, _, _, _) => { MnistBenchmarks.ReferenceIo(s.Folder, s.Model); return Task.CompletedTask; }));
            config.AddCommand<SuiteCommand<EmptyCommandSettings>>("deepfloyd-step")
                .WithDescription("One IF stage-I UNet step at 64×64, batch 2, IF-I-M and IF-I-L sizes, fp32 and bf16, random weights (one child process each).")
                .WithData(Suite<EmptyCommandSettings>(environment, (_, _, d, _) => { DeepFloydBenchmarks.StepAll(d); return Task.CompletedTask; }));
            config.AddCommand<SuiteCommand<EmptyCommandSettings>>("deepfloyd-attention")
                .WithDescription("IF's attention core at IF-I-M's three attention sizes: fused SDPA against bmm → softmax → bmm, whole and in chunks (3 rounds).")
                .WithData(Suite<EmptyCommandSettings>(environment, (_, _, _, _) => { AttentionBenchmarks.Forms(3); return Task.CompletedTask; }));
            config.AddCommand<SuiteCommand<EmptyCommandSettings>>("deepfloyd-load")
                .WithDescription("Peak memory of loading IF-I-M fp16 safetensors into bf16 and fp32 (one child process each).")
                .WithData(Suite<EmptyCommandSettings>(environment, (_, _, d, _) => { DeepFloydBenchmarks.LoadAll(d); return Task.CompletedTask; }));
            config.AddCommand<SuiteCommand<ChildSettings>>("deepfloyd-step-child").IsHidden()
                .WithData(Suite<ChildSettings>(environment, (s, _, _, _) => { DeepFloydBenchmarks.StepChild(s.First, s.Second); return Task.CompletedTask; }));
            config.AddCommand<SuiteCommand<ChildSettings>>("deepfloyd-load-child").IsHidden()
                .WithData(Suite<ChildSettings>(environment, (s, _, _, _) => { DeepFloydBenchmarks.LoadChild(s.First, s.Second); return Task.CompletedTask; }));
            config.AddCommand<SuiteCommand<EmptyCommandSettings>>("micro")
                .WithDescription("BenchmarkDotNet micro-benchmarks of the core (in-process toolchain); every argument after 'micro' goes to BenchmarkDotNet (e.g. --filter '*').")
                .WithData(Suite<EmptyCommandSettings>(environment, (_, context, _, _) => { Micro(context.Remaining.Raw.ToArray()); return Task.CompletedTask; }));
        });
        return app.RunAsync(ForMicro(args), cancellationToken);
    }

    /// <summary>
    /// <c>micro</c>'s arguments are BenchmarkDotNet's, which strict parsing would reject as unknown options: they are
    /// passed after "--" (the remaining-arguments marker) unless the user asked for help.
    /// </summary>
    internal static string[] ForMicro(string[] args)
        => args is ["micro", var first, ..] && first is not ("-h" or "--help" or "--") ? ["micro", "--", .. args[1..]] : args;

    /// <summary>
    /// BenchmarkDotNet runs in-process: its default toolchain builds a generated project that would not import this
    /// repository's Directory.Build.targets (the TorchSharp load fix).
    /// </summary>
    private static void Micro(string[] args)
    {
        var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromAssembly(typeof(CoreBenchmarks).Assembly).Run(args, config);
    }

    private static SuiteCommand<T>.Data Suite<T>(CliEnvironment environment, Func<T, CommandContext, ProgressDisplay, CancellationToken, Task> run)
        where T : CommandSettings => new(environment, run);
}
