using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Training;
using Microsoft.Extensions.Logging;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Training;

/// <summary>Builds and trains the network of a <see cref="MnistRecipe"/>.</summary>
public static class MnistTraining
{
    /// <summary>Creates the recipe's (untrained) network with a seeded initialisation.</summary>
    public static UNetBackbone CreateModel(MnistRecipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        // Parameter initialisation draws from the global generator; seed it so a recipe starts from the same weights.
        random.manual_seed(recipe.Training.Seed);
        return recipe.Kind switch
        {
            MnistModelKind.Denoiser => new UnconditionalUNet(1, recipe.Hidden),
            MnistModelKind.TimeConditioned => new TimeConditionalUNet(1, recipe.Hidden),
            _ => new ClassConditionalUNet(1, recipe.Hidden),
        };
    }

    /// <summary>The trainer for a recipe and its network.</summary>
    public static DiffusionTrainer CreateTrainer(MnistRecipe recipe, UNetBackbone model, Action<int>? epochCompleted = null, ILogger<DiffusionTrainer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(model);
        ITrainingObjective objective = model switch
        {
            UnconditionalUNet u when recipe.Kind == MnistModelKind.Denoiser => new DenoisingObjective(x => u.forward(x), recipe.Sigma),
            TimeConditionalUNet t when recipe.Kind == MnistModelKind.TimeConditioned => new EpsilonPredictionObjective(t, t.Schedule, minSnrGamma: recipe.MinSnrGamma),
            ClassConditionalUNet c when recipe.Kind == MnistModelKind.ClassConditioned => new EpsilonPredictionObjective(c, c.Schedule, recipe.ConditionDropout, useLabels: true, recipe.MinSnrGamma),
            _ => throw new ArgumentException($"A {model.GetType().Name} does not fit the {recipe.Kind} recipe '{recipe.Name}'.", nameof(model)),
        };
        return new DiffusionTrainer(model, objective, recipe.Training, logger) { EpochCompleted = epochCompleted };
    }

    /// <summary>Loads trained weights into a new network of the recipe, validating every name and shape.</summary>
    public static UNetBackbone Load(MnistRecipe recipe, string weightsPath)
    {
        var model = CreateModel(recipe);
        ModuleWeights.Load(model, weightsPath);
        model.eval();
        return model;
    }
}
