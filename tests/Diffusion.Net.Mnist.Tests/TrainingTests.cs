using Diffusion.Net.Hosting;
using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Testing;
using Diffusion.Net.Training;
using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

public sealed class TrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-mnist-train").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static MnistRecipe Tiny(TrainingPrecision precision, int epochs, string? dir, double? ema = null) => new("tiny", MnistModelKind.ClassConditioned, 4,
        new TrainerOptions
        {
            Epochs = epochs, BatchSize = 32, LearningRate = 2e-3, LearningRateDecayPerEpoch = 0.5, ItemsPerEpoch = 160, Seed = 11,
            Precision = precision, CheckpointDirectory = dir, ProgressEvery = 1, EmaDecay = ema,
        });

    private static (ClassConditionalUNet Model, TrainingResult Result) Run(MnistRecipe recipe, MnistDataset data, IProgress<TrainingProgress>? progress = null, CancellationToken ct = default)
    {
        var model = (ClassConditionalUNet)MnistTraining.CreateModel(recipe);
        var result = MnistTraining.CreateTrainer(recipe, model).Train(data, progress, ct);
        return (model, result);
    }

    [Theory]
    [InlineData(TrainingPrecision.Float32, null)]
    [InlineData(TrainingPrecision.BFloat16, null)]
    [InlineData(TrainingPrecision.BFloat16, 0.9)]
    public async Task Resume_AfterAnEpochOrACancellation_IsBitIdenticalToAnUninterruptedRun(TrainingPrecision precision, double? ema)
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var (straight, straightResult) = Run(Tiny(precision, 3, Path.Combine(_dir, "a"), ema), data);

        // Stop after epoch 1, then resume for the remaining epochs.
        Run(Tiny(precision, 1, Path.Combine(_dir, "b"), ema), data);
        var (resumed, resumedResult) = Run(Tiny(precision, 3, Path.Combine(_dir, "b"), ema), data);
        resumedResult.ResumedFromEpoch.Should().Be(1);

        // Cancel in the middle of epoch 2, then resume.
        using var cts = new CancellationTokenSource();
        var cancelAt = new SyncProgress(p => { if (p.Epoch == 2 && p.Step == 3) cts.Cancel(); });
        FluentActions.Invoking(() => Run(Tiny(precision, 3, Path.Combine(_dir, "c"), ema), data, cancelAt, cts.Token)).Should().Throw<OperationCanceledException>();
        using (var checkpoint = SafetensorsFile.Open(Path.Combine(_dir, "c", DiffusionTrainer.CheckpointFileName)))
            checkpoint.Metadata["epochs_completed"].Should().Be("1", "the checkpoint of the last completed epoch survives the cancellation intact");
        var (recovered, _) = Run(Tiny(precision, 3, Path.Combine(_dir, "c"), ema), data);

        foreach (var (name, expected) in straight.state_dict())
        {
            TensorAssert.BitIdentical(resumed.state_dict()[name], expected, $"resumed {name}");
            TensorAssert.BitIdentical(recovered.state_dict()[name], expected, $"recovered {name}");
        }
        resumedResult.History.Points.Should().Equal(straightResult.History.Points);
        straightResult.History.Points.Should().HaveCount(15);
    }

    /// <summary>Emulated bfloat16 trains 8–10× slower than float32, so the quick presets use it only where the CPU has it.</summary>
    [Fact]
    public void QuickPresets_TrainInBFloat16_OnlyWhereTheCpuComputesItNatively()
    {
        var expected = CpuFeatures.HasNativeBFloat16 ? TrainingPrecision.BFloat16 : TrainingPrecision.Float32;
        foreach (var recipe in MnistRecipes.All.Values.Where(r => r.Name.StartsWith("quick", StringComparison.Ordinal)))
            recipe.Training.Precision.Should().Be(expected, recipe.Name);
        MnistRecipes.ClassConditioned.Training.Precision.Should().Be(TrainingPrecision.Float32, "the course's presets stay float32");
    }

    [Fact]
    public async Task Resume_InTheOtherLayout_ContinuesButWarnsThatItIsNotBitIdentical()
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var dir = Path.Combine(_dir, "layout");
        var first = Tiny(TrainingPrecision.Float32, 1, dir);
        using (var nchw = (ClassConditionalUNet)MnistTraining.CreateModel(first))
        {
            nchw.ChannelsLast = false;
            MnistTraining.CreateTrainer(first, nchw).Train(data);
        }
        using (var checkpoint = SafetensorsFile.Open(Path.Combine(dir, DiffusionTrainer.CheckpointFileName)))
            checkpoint.Metadata["compute"].Should().Be("layout=NCHW");

        var second = Tiny(TrainingPrecision.Float32, 2, dir);
        var otherLayout = new ListLogger<DiffusionTrainer>();
        using (var nhwc = (ClassConditionalUNet)MnistTraining.CreateModel(second))
            MnistTraining.CreateTrainer(second, nhwc, logger: otherLayout).Train(data).ResumedFromEpoch.Should().Be(1);
        otherLayout.Warnings.Should().ContainSingle().Which.Should().Contain("'layout=NCHW'").And.Contain("'layout=NHWC'");

        var third = Tiny(TrainingPrecision.Float32, 3, dir);
        var sameLayout = new ListLogger<DiffusionTrainer>();
        using (var nhwc = (ClassConditionalUNet)MnistTraining.CreateModel(third))
            MnistTraining.CreateTrainer(third, nhwc, logger: sameLayout).Train(data).ResumedFromEpoch.Should().Be(2);
        sameLayout.Warnings.Should().BeEmpty("epoch 2 was trained in NHWC, as this run is");
    }

    private sealed class ListLogger<T> : Microsoft.Extensions.Logging.ILogger<T>
    {
        public List<string> Warnings { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning) Warnings.Add(formatter(state, exception));
        }
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
    public async Task WithEma_TheRunHandsOutTheAverage_WhichTheEpochCallbackSees_AndTrainingContinuesOnTheRawWeights()
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var dir = Path.Combine(_dir, "ema");
        var recipe = Tiny(TrainingPrecision.Float32, 2, dir, ema: 0.9);
        var model = (ClassConditionalUNet)MnistTraining.CreateModel(recipe);
        var seen = new Dictionary<int, Tensor>();
        const string probe = "fc1_t.fc1.weight";
        var trainer = MnistTraining.CreateTrainer(recipe, model, e => seen[e] = model.state_dict()[probe].detach().clone());
        trainer.Train(data);

        using var checkpoint = SafetensorsFile.Open(Path.Combine(dir, DiffusionTrainer.CheckpointFileName));
        using var average = checkpoint.Read($"ema.{probe}");
        using var raw = checkpoint.Read($"model.{probe}");
        // 10 steps of training: the average lags the raw weights, so the two must differ.
        (average - raw).abs().max().item<float>().Should().BeGreaterThan(1e-5f, "the average must not be the raw weights");
        TensorAssert.BitIdentical(model.state_dict()[probe], average, "the trained network holds the average");
        TensorAssert.BitIdentical(seen[2], average, "the epoch callback samples with the average");
        using (var handedOut = SafetensorsFile.Open(Path.Combine(dir, DiffusionTrainer.ModelFileName)))
        using (var file = handedOut.Read(probe))
            TensorAssert.BitIdentical(file, average, "model.safetensors holds the average");

        // The same run without the average ends on the raw weights, bit for bit: the callback's swap did not disturb training.
        var plain = (ClassConditionalUNet)MnistTraining.CreateModel(Tiny(TrainingPrecision.Float32, 2, null));
        MnistTraining.CreateTrainer(Tiny(TrainingPrecision.Float32, 2, null), plain).Train(data);
        foreach (var (name, t) in plain.named_parameters()) TensorAssert.BitIdentical(checkpoint.Read($"model.{name}"), t, name);
        foreach (var t in seen.Values) t.Dispose();
    }

    [Fact]
    public async Task ResumingWithOtherOptions_IsRefused_NamingThem()
    {
        var data = await MnistDataset.LoadAsync(MnistSplit.Test);
        var dir = Path.Combine(_dir, "mismatch");
        Run(Tiny(TrainingPrecision.Float32, 1, dir), data);
        var changed = Tiny(TrainingPrecision.Float32, 2, dir) with { Training = Tiny(TrainingPrecision.Float32, 2, dir).Training with { BatchSize = 16 } };
        FluentActions.Invoking(() => Run(changed, data)).Should().Throw<InvalidOperationException>().WithMessage("*batch=32*batch=16*");
        FluentActions.Invoking(() => Run(Tiny(TrainingPrecision.Float32, 2, dir, ema: 0.99), data)).Should().Throw<InvalidOperationException>().WithMessage("*ema=0.99*");
        FluentActions.Invoking(() => Run(Tiny(TrainingPrecision.Float32, 2, dir) with { MinSnrGamma = 5 }, data)).Should().Throw<InvalidOperationException>().WithMessage("*Min-SNR-5*");
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
