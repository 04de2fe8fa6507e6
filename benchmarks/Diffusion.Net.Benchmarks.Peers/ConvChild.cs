using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// One 3×3 convolution in isolation (batch, channels in and out, size, layout), for reading a row's profile: the
/// seconds and GFLOP/s of libtorch's oneDNN kernel on one shape, without the rest of the network around it.
/// </summary>
internal static class ConvChild
{
    public static string Run(string layout, int threads, int batch, int cin, int cout, int size, int reps)
    {
        set_num_threads(threads);
        using var noGrad = no_grad();
        if (layout is not ("nchw" or "nhwc")) throw new ArgumentException($"unknown layout '{layout}' (nchw, nhwc)", nameof(layout));
        var generator = new Generator(0);
        // NHWC as the IF UNet holds it: channels-last strides under the NCHW shape.
        Tensor Make(long n, long c, long h, long w) => layout == "nchw"
            ? randn([n, c, h, w], generator: generator)
            : randn([n, h, w, c], generator: generator).permute(0, 3, 1, 2);
        using var x = Make(batch, cin, size, size);
        using var w = Make(cout, cin, 3, 3).mul_(0.05);
        using var b = randn([cout], generator: generator);
        using (NewDisposeScope()) nn.functional.conv2d(x, w, b, padding: [1, 1]);
        var times = new List<double>();
        for (int i = 0; i < reps; i++)
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            nn.functional.conv2d(x, w, b, padding: [1, 1]);
            times.Add(sw.Elapsed.TotalSeconds);
        }
        double median = PeerTools.Median(times);
        double gflop = 2.0 * batch * cout * cin * 9 * size * size / 1e9;
        return string.Create(CultureInfo.InvariantCulture,
            $"{layout} b{batch} {cin}->{cout} {size}x{size}: {median * 1000:0.0} ms, {gflop:0.00} GFLOP, {gflop / median:0.0} GFLOP/s");
    }
}
