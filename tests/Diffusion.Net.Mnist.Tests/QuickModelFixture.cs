using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Evaluation;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Training;
using Xunit;

namespace Diffusion.Net.Mnist.Tests;

/// <summary>
/// The main job's model (the quick class-conditioned preset, seed 0: D = 32, 3 epochs in <see cref="MnistRecipes.QuickPrecision"/>), trained once per
/// machine into the per-user cache (resumable; about 7 minutes on 2 cores in bfloat16, 22 in float32 on an AVX2-only AMD EPYC), plus the shipped evaluation classifier. The Part A
/// rate tests use it, so their floors refer to the same model as docs/results-part-a.md, measured with the shipped classifier. (v2: trained in the NHWC layout.)
/// </summary>
public sealed class QuickModelFixture : IAsyncLifetime
{
    public ClassConditionalUNet Model { get; private set; } = null!;

    public MnistEvaluator Evaluator { get; private set; } = null!;

    public MnistDataset Test { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var train = await MnistDataset.LoadAsync(MnistSplit.Train);
        Test = await MnistDataset.LoadAsync(MnistSplit.Test);
        var folder = Path.Combine(Path.GetDirectoryName(new MnistSourceOptions().ResolvedCacheDirectory)!, "test-models", $"quick-seed0-v3-{MnistRecipes.QuickPrecision}");
        var recipe = MnistRecipes.Quick.WithCheckpoints(folder);
        var model = MnistTraining.CreateModel(recipe);
        await MnistTraining.CreateTrainer(recipe, model).TrainAsync(train);
        Model = (ClassConditionalUNet)model;
        Model.eval();
        Evaluator = MnistEvaluator.LoadShipped(Test);
    }

    public Task DisposeAsync()
    {
        Model?.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(nameof(QuickModelCollection))]
public sealed class QuickModelCollection : ICollectionFixture<QuickModelFixture>;
