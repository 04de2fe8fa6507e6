using Diffusion.Net.Imaging;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using FluentAssertions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

/// <summary>The pixel range travels with the tensor: from image loading and from the model through the pipeline to saving.</summary>
public sealed class PixelRangeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-range").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>An exact predictor that declares [0, 1] data.</summary>
    private sealed class ZeroToOneModel(EmpiricalOptimalPredictor inner) : IDiffusionModel
    {
        public IDiffusionProcess Process => inner.Process;

        public PredictionKind OutputKind => inner.OutputKind;

        public PixelRange PixelRange => PixelRange.ZeroToOne;

        public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition) => inner.Predict(sample, timesteps, condition);
    }

    private static byte FirstByte(string path)
    {
        using var image = Image.Load<Rgb24>(path);
        return image[0, 0].R;
    }

    [Fact]
    public void LoadedImages_AreMarkedWithTheirRange_AndSaveBackWithoutOne()
    {
        using var image = new Image<Rgb24>(4, 4, new Rgb24(200, 200, 200));
        using var a = ImageIO.ToTensor(image, PixelRange.ZeroToOne);
        using var b = ImageIO.ToTensor(image);
        a.GetPixelRange().Should().Be(PixelRange.ZeroToOne);
        b.GetPixelRange().Should().Be(PixelRange.MinusOneToOne);
        ImageIO.SavePng(a, Path.Combine(_dir, "a.png"));
        ImageIO.SavePng(b, Path.Combine(_dir, "b.png"));
        FirstByte(Path.Combine(_dir, "a.png")).Should().Be(200);
        FirstByte(Path.Combine(_dir, "b.png")).Should().Be(200);
    }

    [Fact]
    public void PipelineSamples_CarryTheModelsRange_AndTheDefaultIsMinusOneToOne()
    {
        using var data = zeros(1, 1, 8, 8);
        var exact = new EmpiricalOptimalPredictor(NoiseSchedules.Linear(steps: 100), data);
        var declared = new ZeroToOneModel(exact);

        using var plain = DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(exact, 5, Condition.None).Run(seed: 1);
        plain.GetPixelRange().Should().Be(PixelRange.MinusOneToOne);
        using var result = DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(declared, 5, Condition.None).CaptureTrajectory().Run(new DiffusionRunOptions { Seed = 1 });
        result.PixelRange.Should().Be(PixelRange.ZeroToOne);
        result.Trajectory.Should().OnlyContain(f => f.Sample.GetPixelRange() == PixelRange.ZeroToOne && f.PredictedOriginal.GetPixelRange() == PixelRange.ZeroToOne);
        using var taken = DiffusionPipeline.FromNoise(1, 1, 8, 8).Denoise(declared, 5, Condition.None).Run(seed: 1);
        taken.GetPixelRange().Should().Be(PixelRange.ZeroToOne);

        // The exact denoiser of an all-zero image lands on 0: black in [0, 1], grey in [−1, 1].
        ImageIO.SavePng(taken, Path.Combine(_dir, "declared.png"));
        FirstByte(Path.Combine(_dir, "declared.png")).Should().Be(0);
        ImageIO.SavePng(plain, Path.Combine(_dir, "plain.png"));
        FirstByte(Path.Combine(_dir, "plain.png")).Should().BeInRange(127, 128);
        using var grid = ImageGrid.Create(taken, 1, new ImageGridOptions { Padding = 0 });
        grid[0, 0].R.Should().Be(0, "a grid of a marked batch reads the batch's mark");
    }

    [Fact]
    public void AnImageSource_PassesItsMark_WhenNothingIsDenoised()
    {
        using var image = new Image<Rgb24>(4, 4, new Rgb24(10, 10, 10));
        using var x = ImageIO.ToTensor(image, PixelRange.ZeroToOne, channels: 1);
        using var y = DiffusionPipeline.From(x).Transform("identity", t => t.alias()).Run(seed: 0);
        y.GetPixelRange().Should().Be(PixelRange.ZeroToOne);
    }

    [Fact]
    public void WithPixelRange_RejectsAnUndefinedRange()
    {
        using var x = zeros(1, 2, 2);
        FluentActions.Invoking(() => x.WithPixelRange((PixelRange)7)).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("range");
    }
}
