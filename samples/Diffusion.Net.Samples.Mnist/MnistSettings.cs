using System.ComponentModel;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Samples.Cli;
using Diffusion.Net.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Diffusion.Net.Samples.Mnist;

/// <summary>
/// The options every command of the MNIST program takes, as typed on the command line; <see cref="ToOptions"/> reads
/// and checks them (every valued option is text here, read by <see cref="CliValues"/> with messages that name it).
/// </summary>
internal sealed class MnistSettings : CommandSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Folder for the pictures, checkpoints and evaluation.json (default out/mnist).")]
    public string? Output { get; init; }

    [CommandOption("--preset <NAME>")]
    [Description("quick (default: D=32, bf16 where the CPU has it natively and fp32 elsewhere, 3 epochs for ddpm and 2 for flow; minutes on a CPU) or cs180 (the course's hyper-parameters; hours).")]
    public string? Preset { get; init; }

    [CommandOption("--objective <NAME>")]
    [Description("What the time- and class-conditioned UNets learn: ddpm (default, ε-prediction) or flow (flow matching).")]
    public string? Objective { get; init; }

    [CommandOption("--epochs <N>")]
    [Description("Epochs (default: the preset's); a learning-rate decay keeps CS180's 10× over the run.")]
    public string? Epochs { get; init; }

    [CommandOption("--hidden <D>")]
    [Description("Width D of the UNets (default: the preset's, 32 quick, 64 cs180).")]
    public string? Hidden { get; init; }

    [CommandOption("--batch <N>")]
    [Description("Training batch size (default: the preset's).")]
    public string? Batch { get; init; }

    [CommandOption("--lr <RATE>")]
    [Description("Initial learning rate, e.g. 2e-3 (default: the preset's).")]
    public string? LearningRate { get; init; }

    [CommandOption("--precision <P>")]
    [Description("Training precision: fp32 or bf16 (2-3× faster on a CPU with bf16 instructions; default: the preset's).")]
    public string? Precision { get; init; }

    [CommandOption("--seed <N>")]
    [Description("Seed of training, sampling and figures (default 0).")]
    public string? Seed { get; init; }

    [CommandOption("--eval-samples <N>")]
    [Description("Samples the evaluation draws, a tenth per digit (default 200).")]
    public string? EvalSamples { get; init; }

    [CommandOption("--mnist <DIR>")]
    [Description("A folder holding the four MNIST IDX files (default: $DIFFUSIONNET_MNIST_DIR, else downloaded to the cache).")]
    public string? MnistDirectory { get; init; }

    [CommandOption("--fresh")]
    [Description("Train from scratch, ignoring checkpoints in the output folder (default: resume).")]
    public bool Fresh { get; init; }

    [CommandOption("--ema <DECAY>")]
    [Description("EMA of the weights with this decay in (0, 1), or off (default: the preset's).")]
    public string? Ema { get; init; }

    [CommandOption("--p-uncond <P>")]
    [Description("Probability in [[0, 1) of dropping the class while training, for CFG (default 0.1).")]
    public string? ConditionDropout { get; init; }

    [CommandOption("--min-snr <GAMMA>")]
    [Description("Min-SNR-γ weighting of DDPM's loss with this γ > 0, or off (default off).")]
    public string? MinSnr { get; init; }

    [CommandOption("--limited-guidance")]
    [Description("Also evaluate CFG limited to the low-noise half of the schedule (≈ 45 s more).")]
    public bool LimitedGuidance { get; init; }

    [CommandOption("--sampler <NAME>")]
    [Description("How every figure and evaluation samples (default dpm++2m-10 for ddpm, euler for flow; the names are listed above).")]
    public string? Sampler { get; init; }

    [CommandOption("--cfg <GAMMA>")]
    [Description("Classifier-free guidance scale γ ≥ 0 of the class-conditioned samples (default 5, CS180's).")]
    public string? GuidanceScale { get; init; }

    [CommandOption("--flow-time <NAME>")]
    [Description("How flow-matching training draws t: uniform (default, CS180's) or logit-normal.")]
    public string? FlowTime { get; init; }

    /// <inheritdoc />
    public override ValidationResult Validate()
    {
        try
        {
            _ = ToOptions("main");
            return ValidationResult.Success();
        }
        catch (ArgumentException e)
        {
            return ValidationResult.Error(CliValues.Message(e));
        }
    }

    /// <summary>The checked options of <paramref name="command"/>.</summary>
    /// <exception cref="ArgumentException">A value is malformed, out of range, or does not fit the others.</exception>
    public SampleOptions ToOptions(string command)
    {
        var defaults = new SampleOptions();
        var ema = CliValues.Text(Ema, "--ema");
        var minSnr = CliValues.Text(MinSnr, "--min-snr");
        var o = defaults with
        {
            Command = command,
            Output = CliValues.Text(Output, "--out") ?? defaults.Output,
            Preset = CliValues.Text(Preset, "--preset") switch
            {
                null => defaults.Preset,
                "quick" or "cs180" => Preset!,
                var p => throw new ArgumentException($"Unknown preset '{p}' (quick, cs180)."),
            },
            Epochs = CliValues.Int(Epochs, "--epochs"),
            Hidden = CliValues.Int(Hidden, "--hidden"),
            Batch = CliValues.Int(Batch, "--batch"),
            LearningRate = CliValues.Double(LearningRate, "--lr") is { } lr ? lr > 0 ? lr : throw new ArgumentException("--lr must be positive.") : null,
            Precision = CliValues.Text(Precision, "--precision") switch
            {
                null => null,
                "fp32" or "float32" => TrainingPrecision.Float32,
                "bf16" or "bfloat16" => TrainingPrecision.BFloat16,
                var p => throw new ArgumentException($"Unknown precision '{p}' (fp32, bf16)."),
            },
            Seed = CliValues.Long(Seed, "--seed") ?? defaults.Seed,
            EvalSamples = CliValues.Int(EvalSamples, "--eval-samples") ?? defaults.EvalSamples,
            MnistDirectory = CliValues.Text(MnistDirectory, "--mnist"),
            Fresh = Fresh,
            EmaSet = ema is not null,
            Ema = ema is null or "off" ? null
                : CliValues.Double(ema, "--ema") is { } d && d > 0 && d < 1 ? d : throw new ArgumentException("--ema takes a decay in (0, 1) or 'off'."),
            ConditionDropout = CliValues.Double(ConditionDropout, "--p-uncond") is { } pu
                ? pu >= 0 && pu < 1 ? pu : throw new ArgumentException("--p-uncond takes a probability in [0, 1).") : null,
            MinSnrSet = minSnr is not null,
            MinSnrGamma = minSnr is null or "off" ? null
                : CliValues.Double(minSnr, "--min-snr") is { } g && g > 0 ? g : throw new ArgumentException("--min-snr takes a positive γ or 'off'."),
            EvaluateLimitedGuidance = LimitedGuidance,
            SamplerName = CliValues.Text(Sampler, "--sampler"),
            GuidanceScale = CliValues.Double(GuidanceScale, "--cfg") is { } gamma
                ? gamma >= 0 ? gamma : throw new ArgumentException("--cfg takes a guidance scale γ ≥ 0 (CS180: 5).") : defaults.GuidanceScale,
            Objective = CliValues.Text(Objective, "--objective") switch
            {
                null => defaults.Objective,
                "flow" => MnistObjective.Flow,
                "ddpm" => MnistObjective.Ddpm,
                var name => throw new ArgumentException($"Unknown objective '{name}' (flow, ddpm)."),
            },
            FlowTime = CliValues.Text(FlowTime, "--flow-time") switch
            {
                null => defaults.FlowTime,
                "uniform" => FlowTimeDistribution.Uniform,
                "logit-normal" => FlowTimeDistribution.LogitNormal,
                var name => throw new ArgumentException($"Unknown flow time distribution '{name}' (uniform, logit-normal)."),
            },
        };
        _ = o.Sampler; // an unknown sampler name, or one that does not read the objective's models, fails here
        if (o.MinSnrGamma is not null && o.Objective == MnistObjective.Flow) throw new ArgumentException("--min-snr weights DDPM's ε loss; it does not apply to --objective flow.");
        return o;
    }
}
