using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Schedules;
using Diffusion.Net.Training;
using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Training;

/// <summary>Builds and trains the network of a <see cref="MnistRecipe"/>.</summary>
public static class MnistTraining
{
    /// <summary>
    /// Creates the recipe's (untrained) network, its weights drawn from a private generator seeded with the recipe's
    /// seed (<see cref="TrainerOptions.Seed"/>): the same recipe always starts from the same weights, and torch's global
    /// generator is left as it was (safe in a server that builds models per request).
    /// </summary>
    public static UNetBackbone CreateModel(MnistRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        CheckObjective(recipe);
        return SeededModules.Create<UNetBackbone>(() => recipe.Kind switch
        {
            MnistModelKind.Denoiser or MnistModelKind.PureNoiseDenoiser => new UnconditionalUNet(1, recipe.Hidden),
            MnistModelKind.TimeConditioned => new TimeConditionalUNet(1, recipe.Hidden, objective: recipe.Objective),
            _ => new ClassConditionalUNet(1, recipe.Hidden, objective: recipe.Objective),
        }, recipe.Training.Seed);
    }

    /// <summary>The trainer for a recipe and its network.</summary>
    public static DiffusionTrainer CreateTrainer(MnistRecipe recipe, UNetBackbone model, Action<int>? epochCompleted = null, ILogger<DiffusionTrainer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(model);
        CheckObjective(recipe);
        ITrainingObjective objective = model switch
        {
            UnconditionalUNet u when recipe.Kind == MnistModelKind.Denoiser => new DenoisingObjective(x => u.forward(x), recipe.Sigma),
            UnconditionalUNet u when recipe.Kind == MnistModelKind.PureNoiseDenoiser => DenoisingObjective.FromPureNoise(x => u.forward(x)),
            TimeConditionalUNet t when recipe.Kind == MnistModelKind.TimeConditioned && t.Objective == recipe.Objective => t.Schedule is { } schedule
                ? new EpsilonPredictionObjective(t, schedule, minSnrGamma: recipe.MinSnrGamma)
                : new FlowMatchingObjective(t, (RectifiedFlow)t.Process, time: recipe.FlowTime),
            ClassConditionalUNet c when recipe.Kind == MnistModelKind.ClassConditioned && c.Objective == recipe.Objective => c.Schedule is { } schedule
                ? new EpsilonPredictionObjective(c, schedule, recipe.ConditionDropout, useLabels: true, recipe.MinSnrGamma)
                : new FlowMatchingObjective(c, (RectifiedFlow)c.Process, recipe.ConditionDropout, useLabels: true, recipe.FlowTime),
            _ => throw new ArgumentException($"A {Describe(model)} does not fit the {recipe.Kind} recipe '{recipe.Name}' ({recipe.Objective}).", nameof(model)),
        };
        return new DiffusionTrainer(model, objective, recipe.Training, logger) { EpochCompleted = epochCompleted };
    }

    /// <summary>
    /// Loads trained weights into a new network of the recipe, validating every name and shape, and what the file says the
    /// network predicts (<see cref="DiffusionTrainer.PredictionTypeKey"/>): a flow model is never read as a DDPM model or
    /// the reverse. Files without the key predate flow models and are read as ε-prediction.
    /// </summary>
    /// <exception cref="ModelConfigException">The file's prediction type does not match the recipe's objective.</exception>
    public static UNetBackbone Load(MnistRecipe recipe, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentException.ThrowIfNullOrEmpty(weightsPath);
        using var file = SafetensorsFile.Open(weightsPath);
        CheckPredictionType(recipe, weightsPath, file.Metadata);
        var model = CreateModel(recipe);
        ModuleWeights.Load(model, file);
        model.eval();
        return model;
    }

    /// <summary>The objective a weights file records (<see cref="MnistObjective.Ddpm"/> when it records none), or null for a denoiser or an unknown type.</summary>
    public static MnistObjective? ReadObjective(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return metadata.GetValueOrDefault(DiffusionTrainer.PredictionTypeKey) switch
        {
            null or "epsilon" => MnistObjective.Ddpm,
            "flow_prediction" => MnistObjective.Flow,
            _ => null,
        };
    }

    private static void CheckPredictionType(MnistRecipe recipe, string path, IReadOnlyDictionary<string, string> metadata)
    {
        if (recipe.Kind is MnistModelKind.Denoiser or MnistModelKind.PureNoiseDenoiser) return;
        string saved = metadata.GetValueOrDefault(DiffusionTrainer.PredictionTypeKey) ?? "epsilon (not recorded)";
        if (ReadObjective(metadata) is { } objective && objective == recipe.Objective) return;
        string expected = DiffusionTrainer.PredictionTypeName(MnistSchedules.OutputKind(recipe.Objective));
        string fix = ReadObjective(metadata) switch
        {
            MnistObjective.Flow => "it is a flow-matching model: load it with a flow recipe (quick-flow, flow-class-conditioned, …) and sample it with a flow sampler",
            MnistObjective.Ddpm => "it is a DDPM (ε-prediction) model: load it with a DDPM recipe (quick, class-conditioned, …)",
            _ => "this library's MNIST networks predict epsilon or flow_prediction",
        };
        throw new ModelConfigException(path, DiffusionTrainer.PredictionTypeKey,
            $"the file's network predicts '{saved}' but recipe '{recipe.Name}' ({recipe.Objective}) expects '{expected}'; {fix}");
    }

    private static void CheckObjective(MnistRecipe recipe)
    {
        if (!Enum.IsDefined(recipe.Objective)) throw new ArgumentOutOfRangeException(nameof(recipe), recipe.Objective, $"Recipe '{recipe.Name}' has an unknown objective (ddpm or flow).");
        if (recipe.IsFlow && recipe.Kind is not (MnistModelKind.TimeConditioned or MnistModelKind.ClassConditioned))
            throw new ArgumentException($"Recipe '{recipe.Name}': flow matching trains the time- or class-conditioned network, not the {recipe.Kind}.", nameof(recipe));
        if (recipe.IsFlow && recipe.MinSnrGamma is not null)
            throw new ArgumentException($"Recipe '{recipe.Name}': Min-SNR-γ weights ε-prediction's timesteps; it does not apply to flow matching.", nameof(recipe));
    }

    private static string Describe(UNetBackbone model) => model switch
    {
        TimeConditionalUNet t => $"{t.Objective} TimeConditionalUNet",
        ClassConditionalUNet c => $"{c.Objective} ClassConditionalUNet",
        _ => model.GetType().Name,
    };
}
