using Diffusion.Net.Hosting;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Training;

namespace Diffusion.Net.Mnist.Training;

/// <summary>Which CS180 Part B network a recipe trains.</summary>
public enum MnistModelKind
{
    /// <summary>The single-step denoiser (UnconditionalUNet, z = x + σε → x).</summary>
    Denoiser,

    /// <summary>The time-conditioned DDPM UNet.</summary>
    TimeConditioned,

    /// <summary>The class-conditioned DDPM UNet with condition dropout.</summary>
    ClassConditioned,

    /// <summary>
    /// The single-step denoiser trained on pure noise (z = ε → x; the "denoise pure noise" exercise of CS180's flow
    /// version of Part 1): the same UnconditionalUNet, whose best answer is the mean digit.
    /// </summary>
    PureNoiseDenoiser,
}

/// <summary>A named set of CS180 Part B hyper-parameters: the network, its objective, its width D, the training options, σ or p_uncond.</summary>
/// <param name="Name">A short name (used for output folders).</param>
/// <param name="Kind">The network.</param>
/// <param name="Hidden">D.</param>
/// <param name="Training">Epochs, batch, learning rate and decay, precision, seed.</param>
/// <param name="Sigma">The denoiser's training σ.</param>
/// <param name="ConditionDropout">p_uncond of the class-conditioned network.</param>
/// <param name="MinSnrGamma">γ of the Min-SNR-γ loss weighting of the DDPM networks; null for the spec's uniform weighting.</param>
/// <param name="Objective">What the time- and class-conditioned networks learn: DDPM's ε or the flow velocity.</param>
/// <param name="FlowTime">How flow-matching training draws t (uniform, as CS180; or logit-normal).</param>
public sealed record MnistRecipe(string Name, MnistModelKind Kind, int Hidden, TrainerOptions Training, double Sigma = 0.5, double ConditionDropout = 0.1, double? MinSnrGamma = null,
    MnistObjective Objective = MnistObjective.Ddpm, FlowTimeDistribution FlowTime = FlowTimeDistribution.Uniform)
{
    /// <summary>Whether the recipe trains a flow-matching network.</summary>
    public bool IsFlow => Objective == MnistObjective.Flow;

    /// <summary>A copy with a checkpoint folder.</summary>
    public MnistRecipe WithCheckpoints(string directory) => this with { Training = Training with { CheckpointDirectory = directory } };
}

/// <summary>The CS180 Part B recipes (spec §3.2, §3.5, §3.7) and the quick presets tuned for a 2-core CPU.</summary>
public static class MnistRecipes
{
    /// <summary>§1.2.1: UnconditionalUNet D = 128, σ = 0.5, batch 256, 5 epochs, Adam 1e-4, no scheduler.</summary>
    public static MnistRecipe Denoiser { get; } = new("denoiser", MnistModelKind.Denoiser, 128,
        new TrainerOptions { Epochs = 5, BatchSize = 256, LearningRate = 1e-4 });

    /// <summary>§2.2: TimeConditionalUNet D = 64, T = 300, batch 128, 20 epochs, Adam 1e-3 decayed by 0.1^(1/20) per epoch.</summary>
    public static MnistRecipe TimeConditioned { get; } = new("time-conditioned", MnistModelKind.TimeConditioned, 64,
        new TrainerOptions { Epochs = 20, BatchSize = 128, LearningRate = 1e-3, LearningRateDecayPerEpoch = Math.Pow(0.1, 1.0 / 20) });

    /// <summary>§2.4: ClassConditionalUNet D = 64 with p_uncond = 0.1; otherwise as the time-conditioned recipe.</summary>
    public static MnistRecipe ClassConditioned { get; } = new("class-conditioned", MnistModelKind.ClassConditioned, 64,
        new TrainerOptions { Epochs = 20, BatchSize = 128, LearningRate = 1e-3, LearningRateDecayPerEpoch = Math.Pow(0.1, 1.0 / 20) });

    /// <summary>
    /// The quick presets' precision: bfloat16 where the CPU computes it natively (<see cref="CpuFeatures.HasNativeBFloat16"/>),
    /// float32 elsewhere, where emulated bfloat16 trains 8–10× slower.
    /// </summary>
    public static TrainingPrecision QuickPrecision { get; } = CpuFeatures.HasNativeBFloat16 ? TrainingPrecision.BFloat16 : TrainingPrecision.Float32;

    /// <summary>
    /// The main job's preset for 2 CPU cores: the class-conditioned network at D = 32, 3 epochs in <see cref="QuickPrecision"/>
    /// (bfloat16 on CPUs with native bfloat16), batch 128, Adam 1e-3 decayed to a tenth over the run.
    /// </summary>
    public static MnistRecipe Quick { get; } = new("quick", MnistModelKind.ClassConditioned, 32,
        new TrainerOptions { Epochs = 3, BatchSize = 128, LearningRate = 1e-3, LearningRateDecayPerEpoch = Math.Pow(0.1, 1.0 / 3), Precision = QuickPrecision });

    /// <summary>A quick denoiser for 2 CPU cores: D = 32, 2 epochs, <see cref="QuickPrecision"/>, Adam 1e-3.</summary>
    public static MnistRecipe QuickDenoiser { get; } = new("quick-denoiser", MnistModelKind.Denoiser, 32,
        new TrainerOptions { Epochs = 2, BatchSize = 256, LearningRate = 1e-3, Precision = QuickPrecision });

    /// <summary>A quick time-conditioned network for 2 CPU cores: D = 32, 3 epochs, <see cref="QuickPrecision"/>.</summary>
    public static MnistRecipe QuickTimeConditioned { get; } = new("quick-time-conditioned", MnistModelKind.TimeConditioned, 32,
        new TrainerOptions { Epochs = 3, BatchSize = 128, LearningRate = 1e-3, LearningRateDecayPerEpoch = Math.Pow(0.1, 1.0 / 3), Precision = QuickPrecision });

    /// <summary>
    /// CS180's flow version of §2.2: the time-conditioned UNet trained by flow matching, D = 64, batch 64, 10 epochs,
    /// Adam 1e-2 decayed as 0.1^(epoch/epochs).
    /// </summary>
    public static MnistRecipe FlowTimeConditioned { get; } = new("flow-time-conditioned", MnistModelKind.TimeConditioned, 64,
        new TrainerOptions { Epochs = 10, BatchSize = 64, LearningRate = 1e-2, LearningRateDecayPerEpoch = Math.Pow(0.1, 1.0 / 10) }, Objective: MnistObjective.Flow);

    /// <summary>CS180's flow version of §2.4: the class-conditioned UNet by flow matching (p_uncond = 0.1), otherwise as the time-only flow recipe; sampled with CFG γ = 5.</summary>
    public static MnistRecipe FlowClassConditioned { get; } = new("flow-class-conditioned", MnistModelKind.ClassConditioned, 64,
        new TrainerOptions { Epochs = 10, BatchSize = 64, LearningRate = 1e-2, LearningRateDecayPerEpoch = Math.Pow(0.1, 1.0 / 10) }, Objective: MnistObjective.Flow);

    /// <summary>
    /// The flow counterpart of <see cref="Quick"/> for 2 CPU cores: the class-conditioned network at D = 32 by flow
    /// matching, with <see cref="Quick"/>'s batch, learning rate, precision and tenfold decay, in 2 epochs instead of 3,
    /// so that training, sampling and evaluation fit in 10 minutes on a 2-core CPU without AMX (docs/results-mnist.md).
    /// </summary>
    public static MnistRecipe QuickFlow { get; } = Quick with
    {
        Name = "quick-flow",
        Objective = MnistObjective.Flow,
        Training = Quick.Training with { Epochs = 2, LearningRateDecayPerEpoch = Math.Pow(0.1, 1.0 / 2) },
    };

    /// <summary>A quick time-conditioned flow network for 2 CPU cores: D = 32, 3 epochs, <see cref="QuickPrecision"/>.</summary>
    public static MnistRecipe QuickFlowTimeConditioned { get; } = QuickTimeConditioned with { Name = "quick-flow-time-conditioned", Objective = MnistObjective.Flow };

    /// <summary>The "denoise pure noise" exercise with Part 1's hyper-parameters: D = 128, batch 256, 5 epochs, Adam 1e-4.</summary>
    public static MnistRecipe PureNoiseDenoiser { get; } = Denoiser with { Name = "pure-noise-denoiser", Kind = MnistModelKind.PureNoiseDenoiser };

    /// <summary>The "denoise pure noise" exercise for 2 CPU cores: D = 32, 2 epochs, <see cref="QuickPrecision"/>, Adam 1e-3.</summary>
    public static MnistRecipe QuickPureNoiseDenoiser { get; } = QuickDenoiser with { Name = "quick-pure-noise-denoiser", Kind = MnistModelKind.PureNoiseDenoiser };

    /// <summary>Every recipe by name.</summary>
    public static IReadOnlyDictionary<string, MnistRecipe> All { get; } = new[]
        {
            Denoiser, TimeConditioned, ClassConditioned, Quick, QuickDenoiser, QuickTimeConditioned,
            FlowTimeConditioned, FlowClassConditioned, QuickFlow, QuickFlowTimeConditioned, PureNoiseDenoiser, QuickPureNoiseDenoiser,
        }.ToDictionary(r => r.Name);

    /// <summary>The recipe called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No recipe has that name; the message lists them.</exception>
    public static MnistRecipe Get(string name)
        => All.TryGetValue(name, out var r) ? r : throw new ArgumentException($"Unknown recipe '{name}'; known: {string.Join(", ", All.Keys)}.", nameof(name));
}
