using Diffusion.Net.Imaging;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Pipelines;
using FluentAssertions;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

/// <summary>Saving an MNIST result with the obvious call shows it as MNIST: black background, white strokes.</summary>
public sealed class ImageRangeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-range").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Black, int White, int Grey) Census(string path)
    {
        using var image = Image.Load<Rgb24>(path);
        int black = 0, white = 0, grey = 0;
        image.ProcessPixelRows(rows =>
        {
            for (int y = 0; y < rows.Height; y++)
                foreach (var p in rows.GetRowSpan(y))
                {
                    if (p.R == 0) black++;
                    else if (p.R == 255) white++;
                    else if (p.R is > 100 and < 155) grey++;
                }
        });
        return (black, white, grey);
    }

    [Fact]
    public async Task AnMnistDigit_SavedWithTheObviousCall_IsBlackOnWhite_NotGrey()
    {
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        using var digit = test.Images(0, 1);                         // a real 7, [0, 1]
        var path = Path.Combine(_dir, "seven.png");
        ImageIO.SavePng(digit, path);
        var (black, white, _) = Census(path);
        black.Should().BeGreaterThan(28 * 28 / 2, "MNIST's background is 0, shown black");
        white.Should().BeGreaterThan(0, "its strokes reach 1, shown white");

        // The control: the same tensor read as [−1, 1] (what the call did before) greys the background.
        var greyPath = Path.Combine(_dir, "grey.png");
        ImageIO.SavePng(digit, greyPath, PixelRange.MinusOneToOne);
        Census(greyPath).Grey.Should().BeGreaterThan(28 * 28 / 2);
    }

    [Fact]
    public void AGeneratedSample_CarriesTheModelsRange_IntoSavePngAndGrids()
    {
        using var unet = (ClassConditionalUNet)MnistTraining.CreateModel(MnistRecipes.ClassConditioned with { Hidden = 4 });
        unet.PixelRange.Should().Be(PixelRange.ZeroToOne);
        using var samples = MnistSampling.ClassConditioned(unet, [0, 1, 2], sampler: MnistSampler.DpmSolverPlusPlus(3)).Run(seed: 0);
        samples.GetPixelRange().Should().Be(PixelRange.ZeroToOne);
        using var result = MnistSampling.ClassConditioned(unet, [0, 1, 2], sampler: MnistSampler.DpmSolverPlusPlus(3)).CaptureTrajectory().Run(new DiffusionRunOptions());
        result.PixelRange.Should().Be(PixelRange.ZeroToOne);
        result.Trajectory.Should().OnlyContain(f => f.Sample.GetPixelRange() == PixelRange.ZeroToOne);

        // A black image in [0, 1] (all zeros) marked by the model: every save path shows it black.
        using var zeros = zeros_like(samples).WithPixelRange(samples.GetPixelRange()!.Value);
        var single = Path.Combine(_dir, "single.png");
        ImageIO.SavePng(zeros[0].WithPixelRange(PixelRange.ZeroToOne), single);
        Census(single).Black.Should().Be(28 * 28);
        var grid = Path.Combine(_dir, "grid.png");
        ImageGrid.Save(grid, zeros, 3, new ImageGridOptions { Padding = 0 });
        Census(grid).Black.Should().Be(3 * 28 * 28);
        var thresholded = MnistSampling.Threshold(samples);
        thresholded.GetPixelRange().Should().Be(PixelRange.ZeroToOne);
        thresholded.Dispose();
    }

    [Fact]
    public void AnUnmarkedTensor_KeepsTheHistoricalDefault_AndAnExplicitRangeWins()
    {
        using var x = zeros(1, 28, 28);
        x.GetPixelRange().Should().BeNull();
        var grey = Path.Combine(_dir, "unmarked.png");
        ImageIO.SavePng(x, grey);
        Census(grey).Grey.Should().Be(28 * 28, "an unmarked 0 is the middle of [−1, 1]");
        x.WithPixelRange(PixelRange.ZeroToOne);
        var black = Path.Combine(_dir, "explicit.png");
        ImageIO.SavePng(x, black, PixelRange.MinusOneToOne);
        Census(black).Grey.Should().Be(28 * 28, "an explicit range wins over the mark");
    }
}
