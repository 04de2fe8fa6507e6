using Diffusion.Net.Guidance;
using Diffusion.Net.Imaging;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using Diffusion.Net.Testing;
using Diffusion.Net.Tests.Support;
using Diffusion.Net.Views;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

public class ViewsTests
{
    public static TheoryData<string> GeometricViews() => new() { "identity", "flipv", "fliph", "rot90", "rot180", "rot270", "negate", "jigsaw" };

    private static IView Create(string name) => name switch
    {
        "identity" => View.Identity,
        "flipv" => View.FlipVertical,
        "fliph" => View.FlipHorizontal,
        "rot90" => View.Rotate90,
        "rot180" => View.Rotate180,
        "rot270" => View.Rotate270,
        "negate" => View.Negate,
        _ => View.PatchPermutation(4, [3, 0, 2, 1]),
    };

    [Theory]
    [MemberData(nameof(GeometricViews))]
    public void InverseOfView_IsTheIdentity_OnSamplesAndVariances(string name)
    {
        var view = Create(name);
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 8, 8);
        TensorAssert.BitIdentical(view.Invert(view.Apply(x)).contiguous(), x);
        TensorAssert.BitIdentical(view.InvertVariance(view.Apply(x).mul(name == "negate" ? -1 : 1)).contiguous(), x);
    }

    [Fact]
    public void FlipVertical_FlipsTheHeightAxis()
    {
        using var scope = NewDisposeScope();
        var x = arange(4f).reshape(1, 1, 2, 2);
        View.FlipVertical.Apply(x).flatten().data<float>().ToArray().Should().Equal(2f, 3f, 0f, 1f);
        View.Rotate180.Apply(x).flatten().data<float>().ToArray().Should().Equal(3f, 2f, 1f, 0f);
    }

    [Fact]
    public void PatchPermutation_MovesWholePatches()
    {
        using var scope = NewDisposeScope();
        var x = arange(16f).reshape(1, 1, 4, 4);
        var y = View.PatchPermutation(2, [1, 0, 3, 2]).Apply(x);
        y.flatten().data<float>().ToArray().Should().Equal(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    }

    [Fact]
    public void LowPassPlusHighPass_IsTheIdentity()
    {
        using var scope = NewDisposeScope();
        var eps = randn(2, 3, 64, 64);
        var sum = Filter.LowPass(33, 2).Invert(eps) + Filter.HighPass(33, 2).Invert(eps);
        TensorAssert.Close(sum, eps, 1e-6);
    }

    [Fact]
    public void ThreeBands_SumToTheIdentity()
    {
        using var scope = NewDisposeScope();
        var eps = randn(1, 1, 40, 40);
        var bands = Filter.Bands(33, 4.0, 1.0);
        bands.Should().HaveCount(3);
        var sum = bands.Select(b => b.Invert(eps)).Aggregate((a, b) => a + b);
        TensorAssert.Close(sum, eps, 1e-5);
    }

    [Fact]
    public void GaussianKernel_MatchesTorchvisionsFormula()
    {
        using var k = GaussianBlur.Kernel1d(33, 2.0);
        var values = k.data<float>().ToArray();
        var expected = Enumerable.Range(0, 33).Select(i => Math.Exp(-0.5 * Math.Pow((i - 16) / 2.0, 2))).ToArray();
        double sum = expected.Sum();
        for (int i = 0; i < 33; i++) ((double)values[i]).Should().BeApproximately(expected[i] / sum, 1e-7);
    }

    [Fact]
    public void GaussianBlur_PreservesAConstantImage_AndRejectsBadArguments()
    {
        using var scope = NewDisposeScope();
        var c = full(1, 3, 20, 20, 0.7f);
        TensorAssert.Close(GaussianBlur.Apply(c, 5, 1.5), c, 1e-6);
        FluentActions.Invoking(() => GaussianBlur.Apply(c, 4, 1)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*odd*");
        FluentActions.Invoking(() => GaussianBlur.Apply(c, 5, -1)).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*σ*");
        FluentActions.Invoking(() => GaussianBlur.Apply(full(1, 3, 16, 16, 0.5f), 33, 2)).Should().Throw<ArgumentException>().WithMessage("*reflect padding of 16*16×16*");
    }

    [Fact]
    public void Anagram_AveragesInvertedEstimates_InOneForwardPass()
    {
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 300);
        using var scope = NewDisposeScope();
        var images = randn(2, 1, 8, 8);
        var model = new PointMassPredictor(schedule, images, unconditional: zeros(1, 1, 8, 8));
        var composition = View.Average((Condition.Classes(0), View.Identity), (Condition.Classes(1), View.FlipVertical));
        var x = randn(3, 1, 8, 8);
        var context = new ModelCall(0, 1, schedule.At(100));
        using var p = composition.Predict(model, Guide.ClassifierFree(2), x, context);
        model.Calls.Should().Be(1);
        model.BatchSizes.Should().Equal(12L);

        using var t = context.TimestepTensor(3);
        using var e1 = Guide.ClassifierFree(2).Guide(model, x, t, Condition.Classes(0).Repeat(3));
        using var e2 = Guide.ClassifierFree(2).Guide(model, x.flip(2), t, Condition.Classes(1).Repeat(3));
        TensorAssert.Close(p.Output, (e1.Output + e2.Output.flip(2)) / 2, 1e-6);
    }

    [Fact]
    public void Hybrid_SumsLowPassOfOneAndHighPassOfTheOther()
    {
        var schedule = NoiseSchedules.Linear(1e-4, 0.02, 300);
        using var scope = NewDisposeScope();
        var images = randn(2, 1, 40, 40);
        var model = new PointMassPredictor(schedule, images);
        var x = randn(1, 1, 40, 40);
        var context = new ModelCall(0, 1, schedule.At(200));
        using var p = View.Hybrid(Condition.Classes(0), Condition.Classes(1)).Predict(model, Guide.None, x, context);
        using var t = context.TimestepTensor(1);
        using var e0 = model.Predict(x, t, Condition.Classes(0));
        using var e1 = model.Predict(x, t, Condition.Classes(1));
        var expected = GaussianBlur.Apply(e0.Output, 33, 2) + (e1.Output - GaussianBlur.Apply(e1.Output, 33, 2));
        TensorAssert.Close(p.Output, expected, 1e-5);
    }

    [Fact]
    public void BadViews_AreRejected()
    {
        using var scope = NewDisposeScope();
        FluentActions.Invoking(() => View.Rotate90.Apply(zeros(1, 1, 4, 6))).Should().Throw<ArgumentException>().WithMessage("*square*");
        FluentActions.Invoking(() => View.PatchPermutation(4, [0, 0, 1, 2])).Should().Throw<ArgumentException>().WithMessage("*exactly once*");
        FluentActions.Invoking(() => View.PatchPermutation(3, [0, 1, 2, 3]).Apply(zeros(1, 1, 8, 8))).Should().Throw<ArgumentException>().WithMessage("*divide*");
        FluentActions.Invoking(() => View.FlipVertical.Apply(zeros(8, 8))).Should().Throw<ArgumentException>().WithMessage("*[B, C, H, W]*");
        FluentActions.Invoking(() => Filter.Bands(33, 1.0, 2.0)).Should().Throw<ArgumentException>().WithMessage("*decreasing*");
    }
}
