using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Training;

namespace Diffusion.Net.Samples.Mnist;

/// <summary>The sample's command line, read and checked (<see cref="MnistSettings.ToOptions"/>).</summary>
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
}
