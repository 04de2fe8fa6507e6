using Diffusion.Net.Testing;
using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

public sealed class TrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-mnist-train").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static MnistRecipe Tiny(TrainingPrecision precision, int epochs, string? dir) => new("tiny", MnistModelKind.ClassConditioned, 4,
        new TrainerOptions
        {
            Epochs = epochs, BatchSize = 32, LearningRate = 2e-3, LearningRateDecayPerEpoch = 0.5, ItemsPerEpoch = 160, Seed = 11,
            Precision = precision, CheckpointDirectory = dir, ProgressEvery = 1,
        });

    private static (ClassConditionalUNet Model, TrainingResult Result) Run(MnistRecipe recipe, MnistDataset data, IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        var model = (ClassConditionalUNet)MnistTraining.CreateModel(recipe);
        var result = MnistTraining.CreateTrainer(recipe, model).Train(data, progress, ct);
        return (model, result);
    }

    [Theory]
    [InlineData(TrainingPrecision.Float32)]
    [InlineData(TrainingPrecision.BFloat16)]
    public async Task Resume_AfterAnEpochOrACancellation_IsBitIdenticalToAnUninterruptedRun(TrainingPrecision precision)
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var (straight, straightResult) = Run(Tiny(precision, 3, Path.Combine(_dir, "a")), data);

        // Stop after epoch 1, then resume for the remaining epochs.
        Run(Tiny(precision, 1, Path.Combine(_dir, "b")), data);
        var (resumed, resumedResult) = Run(Tiny(precision, 3, Path.Combine(_dir, "b")), data);
        resumedResult.ResumedFromEpoch.Should().Be(1);

        // Cancel in the middle of epoch 2, then resume.
        using var cts = new CancellationTokenSource();
        var cancelAt = new SyncProgress(p => { if (p.Epoch == 2 && p.Step == 3) cts.Cancel(); });
        FluentActions.Invoking(() => Run(Tiny(precision, 3, Path.Combine(_dir, "c")), data, cancelAt, cts.Token)).Should().Throw<OperationCanceledException>();
        using (var checkpoint = SafetensorsFile.Open(Path.Combine(_dir, "c", DiffusionTrainer.CheckpointFileName)))
            checkpoint.Metadata["epochs_completed"].Should().Be("1", "the checkpoint of the last completed epoch survives the cancellation intact");
        var (recovered, _) = Run(Tiny(precision, 3, Path.Combine(_dir, "c")), data);

        foreach (var (name, expected) in straight.state_dict())
        {
            TensorAssert.BitIdentical(resumed.state_dict()[name], expected, $"resumed {name}");
            TensorAssert.BitIdentical(recovered.state_dict()[name], expected, $"recovered {name}");
        }
        resumedResult.History.Points.Should().Equal(straightResult.History.Points);
        straightResult.History.Points.Should().HaveCount(15);
    }

    [Fact]
    public async Task Training_LowersTheLoss_AndWritesModelCsvAndPlot()
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var dir = Path.Combine(_dir, "loss");
        var recipe = Tiny(TrainingPrecision.Float32, 4, dir) with { Hidden = 8, Training = Tiny(TrainingPrecision.Float32, 4, dir).Training with { ItemsPerEpoch = 640, BatchSize = 64 } };
        var reports = new List<TrainingProgress>();
        var (model, result) = Run(recipe, data, new SyncProgress(reports.Add));
        result.History.EpochMean(4).Should().BeLessThan(result.History.EpochMean(1) * 0.8);
        reports.Where(r => r.EpochCompleted).Select(r => r.Epoch).Should().Equal(1, 2, 3, 4);
        reports.Where(r => r.EpochCompleted).Select(r => r.LearningRate).Should().Equal(1e-3, 5e-4, 2.5e-4, 1.25e-4);
        reports.Should().OnlyContain(r => r.ImagesPerSecond > 0);
        File.Exists(Path.Combine(dir, DiffusionTrainer.ModelFileName)).Should().BeTrue();
        LossHistory.LoadCsv(Path.Combine(dir, DiffusionTrainer.LossCsvFileName)).Points.Should().Equal(result.History.Points);
        result.History.SavePlot(Path.Combine(dir, "loss.png"), "tiny");
        File.Exists(Path.Combine(dir, "loss.png")).Should().BeTrue();
        using var reloaded = (ClassConditionalUNet)MnistTraining.Load(recipe, Path.Combine(dir, DiffusionTrainer.ModelFileName));
        foreach (var (name, t) in model.state_dict()) TensorAssert.BitIdentical(reloaded.state_dict()[name], t, name);
    }

    [Fact]
    public async Task ResumingWithOtherOptions_IsRefused_NamingThem()
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var dir = Path.Combine(_dir, "mismatch");
        Run(Tiny(TrainingPrecision.Float32, 1, dir), data);
        var changed = Tiny(TrainingPrecision.Float32, 2, dir) with { Training = Tiny(TrainingPrecision.Float32, 2, dir).Training with { BatchSize = 16 } };
        FluentActions.Invoking(() => Run(changed, data)).Should().Throw<InvalidOperationException>().WithMessage("*batch=32*batch=16*");
    }

    [Fact]
    public async Task DenoiserObjective_TrainsTheUnconditionalUNet()
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var recipe = MnistRecipes.QuickDenoiser with { Hidden = 4, Training = MnistRecipes.QuickDenoiser.Training with { Epochs = 2, ItemsPerEpoch = 512, BatchSize = 64, Precision = TrainingPrecision.Float32 } };
        var model = (UnconditionalUNet)MnistTraining.CreateModel(recipe);
        var result = MnistTraining.CreateTrainer(recipe, model).Train(data);
        result.History.EpochMean(2).Should().BeLessThan(result.History.EpochMean(1));
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
