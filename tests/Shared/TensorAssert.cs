using FluentAssertions;
using static TorchSharp.torch;

namespace Diffusion.Net.Testing;

internal static class TensorAssert
{
    /// <summary>max |a − b| ≤ atol + rtol·|b| element-wise, with the worst deviation in the message.</summary>
    public static void Close(Tensor actual, Tensor expected, double atol, double rtol = 0, string because = "")
    {
        actual.shape.Should().Equal(expected.shape, because);
        using var scope = NewDisposeScope();
        var a = actual.detach().to(ScalarType.Float64, CPU);
        var e = expected.detach().to(ScalarType.Float64, CPU);
        var diff = (a - e).abs();
        var allowed = e.abs() * rtol + atol;
        var excess = (diff - allowed).max().item<double>();
        double maxDiff = diff.max().item<double>();
        excess.Should().BeLessThanOrEqualTo(0, $"max |Δ| = {maxDiff:E3} must be within atol {atol:E1} + rtol {rtol:E1}·|expected| {because}");
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
    }

    public static void BitIdentical(Tensor actual, Tensor expected, string because = "")
    {
        actual.shape.Should().Equal(expected.shape, because);
        actual.dtype.Should().Be(expected.dtype, because);
        using var a = actual.contiguous();
        using var e = expected.contiguous();
        a.bytes.ToArray().Should().Equal(e.bytes.ToArray(), because);
    }
}
