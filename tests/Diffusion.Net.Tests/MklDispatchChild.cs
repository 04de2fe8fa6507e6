using System.Globalization;
using Diffusion.Net.Hosting;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

/// <summary>
/// A fresh process for <see cref="MklDispatchTests"/>: MKL decides once per process, so each order needs its own. Prints
/// one <c>key=value</c> per line.
/// </summary>
internal static class MklDispatchChild
{
    public static int Run(string order)
    {
        string? before = null;
        if (order == "first") before = MklDispatch.IgnoreCpuVendor().ToString();
        else if (order == "runtime")
            before = new DiffusionRuntime(Options.Create(new DiffusionOptions { MklIgnoreCpuVendor = true, Threads = 1 })).MklOutcome?.ToString() ?? "null";
        else if (order != "after-matmul") return 2;
        Console.WriteLine($"cached-before-matmul={Show(MklDispatch.CachedAnswer())}");
        // A float32 linear layer at one of T5's shapes goes through MKL's sgemm; its error against float64 shows the
        // chosen kernels compute the same product.
        using var scope = NewDisposeScope();
        var gen = new Generator(3);
        var x = randn([77, 512], generator: gen);
        var w = randn([256, 512], generator: gen);
        var y = nn.functional.linear(x, w);
        var reference = nn.functional.linear(x.to(ScalarType.Float64), w.to(ScalarType.Float64));
        double error = (y.to(ScalarType.Float64) - reference).abs().max().item<double>() / reference.abs().max().item<double>();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"relative-error={error:R}"));
        Console.WriteLine($"cached-after-matmul={Show(MklDispatch.CachedAnswer())}");
        Console.WriteLine($"outcome={before ?? MklDispatch.IgnoreCpuVendor().ToString()}");
        return 0;
    }

    private static string Show(bool? answer) => answer switch { null => "unasked", true => "intel", false => "not-intel" };
}
