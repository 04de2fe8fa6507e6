using System.Globalization;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Training;

namespace Diffusion.Net.Samples.Mnist;

/// <summary>The sample's command line.</summary>
internal sealed record SampleOptions
{
    public string Command { get; init; } = "main";
    public string Output { get; init; } = Path.Combine("out", "mnist");
    public string Preset { get; init; } = "quick";
    public int? Epochs { get; init; }
    public int? Hidden { get; init; }
    public int? Batch { get; init; }
    public double? LearningRate { get; init; }
    public TrainingPrecision? Precision { get; init; }
    public long Seed { get; init; }
    public int EvalSamples { get; init; } = 200;
    public string? MnistDirectory { get; init; }
    public bool Fresh { get; init; }
    public double? Ema { get; init; }
    public double? ConditionDropout { get; init; }
    public bool EvaluateLimitedGuidance { get; init; }
    public bool EmaSet { get; init; }
    public double? MinSnrGamma { get; init; }
    public bool MinSnrSet { get; init; }

    /// <summary>What the time- and class-conditioned networks learn (<c>--objective</c>; the default is the measured choice of the README).</summary>
    public MnistObjective Objective { get; init; } = DefaultObjective;

    /// <summary>The main job's objective.</summary>
    public const MnistObjective DefaultObjective = MnistObjective.Ddpm;

    /// <summary>How flow-matching training draws t (<c>--flow-time uniform|logit-normal</c>).</summary>
    public FlowTimeDistribution FlowTime { get; init; } = FlowTimeDistribution.Uniform;

    /// <summary>The classifier-free guidance scale γ of every class-conditioned figure and evaluation (<c>--cfg</c>; CS180: 5).</summary>
    public double GuidanceScale { get; init; } = 5;

    /// <summary>The <c>--sampler</c> name, or null for the objective's default.</summary>
    public string? SamplerName { get; init; }

    /// <summary>How every figure and evaluation samples (the main job's default is the measured choice of docs/results-mnist.md).</summary>
    public MnistSampler Sampler => SamplerName is null ? DefaultSampler(Objective) : MnistSampler.Parse(SamplerName, Objective);

    /// <summary>
    /// The main job's sampler for each objective, chosen by the measurements of docs/results-mnist.md: DPM-Solver++ 2M in
    /// 10 steps for DDPM (<c>--sampler ddpm</c> is Algorithm B.4), CS180's Euler for flow.
    /// </summary>
    public static MnistSampler DefaultSampler(MnistObjective objective)
        => objective == MnistObjective.Flow ? MnistSampler.DefaultFor(MnistObjective.Flow) : MnistSampler.Parse("dpm++2m-10");

    private static readonly string[] Commands = ["main", "noising", "denoiser", "pure-noise", "time", "class", "all"];

    public static SampleOptions? Parse(string[] args)
    {
        var o = new SampleOptions();
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i])
                {
                    case "--out": o = o with { Output = Next() }; break;
                    case "--preset":
                        var preset = Next();
                        if (preset is not ("quick" or "cs180")) throw new ArgumentException($"Unknown preset '{preset}' (quick, cs180).");
                        o = o with { Preset = preset };
                        break;
                    case "--epochs": o = o with { Epochs = PositiveInt(Next(), "--epochs") }; break;
                    case "--hidden": o = o with { Hidden = PositiveInt(Next(), "--hidden") }; break;
                    case "--batch": o = o with { Batch = PositiveInt(Next(), "--batch") }; break;
                    case "--lr":
                        var lr = double.Parse(Next(), CultureInfo.InvariantCulture);
                        o = o with { LearningRate = lr > 0 && double.IsFinite(lr) ? lr : throw new ArgumentException("--lr must be positive.") };
                        break;
                    case "--precision":
                        o = o with
                        {
                            Precision = Next() switch
                            {
                                "fp32" or "float32" => TrainingPrecision.Float32,
                                "bf16" or "bfloat16" => TrainingPrecision.BFloat16,
                                var p => throw new ArgumentException($"Unknown precision '{p}' (fp32, bf16)."),
                            },
                        };
                        break;
                    case "--seed": o = o with { Seed = long.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                    case "--eval-samples": o = o with { EvalSamples = PositiveInt(Next(), "--eval-samples") }; break;
                    case "--mnist": o = o with { MnistDirectory = Next() }; break;
                    case "--fresh": o = o with { Fresh = true }; break;
                    case "--ema":
                        var ema = Next();
                        o = o with { EmaSet = true, Ema = ema == "off" ? null : double.Parse(ema, CultureInfo.InvariantCulture) };
                        if (o.Ema is { } d && !(d > 0 && d < 1)) throw new ArgumentException("--ema takes a decay in (0, 1) or 'off'.");
                        break;
                    case "--p-uncond":
                        var pu = double.Parse(Next(), CultureInfo.InvariantCulture);
                        o = o with { ConditionDropout = pu >= 0 && pu < 1 ? pu : throw new ArgumentException("--p-uncond takes a probability in [0, 1).") };
                        break;
                    case "--min-snr":
                        var snr = Next();
                        o = o with { MinSnrSet = true, MinSnrGamma = snr == "off" ? null : double.Parse(snr, CultureInfo.InvariantCulture) };
                        if (o.MinSnrGamma is { } g && !(g > 0 && double.IsFinite(g))) throw new ArgumentException("--min-snr takes a positive γ or 'off'.");
                        break;
                    case "--limited-guidance": o = o with { EvaluateLimitedGuidance = true }; break;
                    case "--sampler": o = o with { SamplerName = Next() }; break;
                    case "--cfg":
                        var gamma = double.Parse(Next(), CultureInfo.InvariantCulture);
                        o = o with { GuidanceScale = gamma >= 0 && double.IsFinite(gamma) ? gamma : throw new ArgumentException("--cfg takes a guidance scale γ ≥ 0 (CS180: 5).") };
                        break;
                    case "--objective":
                        o = o with
                        {
                            Objective = Next() switch
                            {
                                "flow" => MnistObjective.Flow,
                                "ddpm" => MnistObjective.Ddpm,
                                var name => throw new ArgumentException($"Unknown objective '{name}' (flow, ddpm)."),
                            },
                        };
                        break;
                    case "--flow-time":
                        o = o with
                        {
                            FlowTime = Next() switch
                            {
                                "uniform" => FlowTimeDistribution.Uniform,
                                "logit-normal" => FlowTimeDistribution.LogitNormal,
                                var name => throw new ArgumentException($"Unknown flow time distribution '{name}' (uniform, logit-normal)."),
                            },
                        };
                        break;
                    case "-h" or "--help": Usage(); return null;
                    default:
                        if (args[i].StartsWith('-') || !Commands.Contains(args[i])) throw new ArgumentException($"Unknown argument '{args[i]}'.");
                        o = o with { Command = args[i] };
                        break;
                }
            }
            _ = o.Sampler; // an unknown sampler name, or one that does not read the objective's models, fails here
            if (o.MinSnrGamma is not null && o.Objective == MnistObjective.Flow) throw new ArgumentException("--min-snr weights DDPM's ε loss; it does not apply to --objective flow.");
            return o;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine(e.Message);
            Usage();
            return null;
        }
    }

    /// <summary>The recipe of <paramref name="kind"/> for the chosen preset, with command-line overrides.</summary>
    public MnistRecipe Recipe(MnistModelKind kind)
    {
        bool flow = Objective == MnistObjective.Flow;
        var recipe = (kind, Preset) switch
        {
            (MnistModelKind.Denoiser, "cs180") => MnistRecipes.Denoiser,
            (MnistModelKind.Denoiser, _) => MnistRecipes.QuickDenoiser,
            (MnistModelKind.PureNoiseDenoiser, "cs180") => MnistRecipes.PureNoiseDenoiser,
            (MnistModelKind.PureNoiseDenoiser, _) => MnistRecipes.QuickPureNoiseDenoiser,
            (MnistModelKind.TimeConditioned, "cs180") => flow ? MnistRecipes.FlowTimeConditioned : MnistRecipes.TimeConditioned,
            (MnistModelKind.TimeConditioned, _) => flow ? MnistRecipes.QuickFlowTimeConditioned : MnistRecipes.QuickTimeConditioned,
            (_, "cs180") => flow ? MnistRecipes.FlowClassConditioned : MnistRecipes.ClassConditioned,
            _ => flow ? MnistRecipes.QuickFlow : MnistRecipes.Quick,
        };
        if (recipe.IsFlow) recipe = recipe with { FlowTime = FlowTime };
        var training = recipe.Training with { Seed = Seed, Resume = !Fresh };
        if (Epochs is { } e)
        {
            // Keep the CS180 rule "decay by 10× over the run" when the run length changes.
            training = training with { Epochs = e, LearningRateDecayPerEpoch = recipe.Training.LearningRateDecayPerEpoch < 1 ? Math.Pow(0.1, 1.0 / e) : 1.0 };
        }
        if (Precision is { } p) training = training with { Precision = p };
        if (Batch is { } b) training = training with { BatchSize = b };
        if (LearningRate is { } rate) training = training with { LearningRate = rate };
        if (EmaSet) training = training with { EmaDecay = Ema };
        return recipe with { Hidden = Hidden ?? recipe.Hidden, Training = training, ConditionDropout = ConditionDropout ?? recipe.ConditionDropout,
            MinSnrGamma = MinSnrSet ? MinSnrGamma : recipe.MinSnrGamma };
    }

    private static int PositiveInt(string text, string name)
    {
        int v = int.Parse(text, CultureInfo.InvariantCulture);
        return v >= 1 ? v : throw new ArgumentException($"{name} must be positive.");
    }

    private static void Usage() => Console.Error.WriteLine(
        "usage: Diffusion.Net.Samples.Mnist [main|noising|denoiser|pure-noise|time|class|all] [--objective ddpm|flow] [--out DIR] [--preset quick|cs180]\n" +
        "                                   [--epochs N] [--hidden D] [--flow-time uniform|logit-normal]\n" +
        "                                   [--precision fp32|bf16] [--seed N] [--eval-samples N] [--mnist DIR] [--fresh]\n" +
        "                                   [--batch N] [--lr RATE] [--ema DECAY|off] [--p-uncond P] [--min-snr GAMMA|off]\n" +
        "                                   [--limited-guidance] [--sampler NAME] [--cfg GAMMA]\n" +
        "  DDPM samplers: " + MnistSampler.Known + "\n" +
        "  flow samplers: " + MnistSampler.KnownFlow);
}
