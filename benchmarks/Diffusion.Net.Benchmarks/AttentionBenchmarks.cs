using System.Diagnostics;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks;

/// <summary>
/// IF's added-KV attention core at IF-I-M's three attention resolutions (batch 2, 77 text tokens, dh = 64): libtorch's
/// fused <c>scaled_dot_product_attention</c>, which the UNet uses, against the explicit bmm → softmax → bmm that ONNX
/// Runtime runs, whole and in head chunks that keep each score block under glibc's 32 MiB mmap threshold.
/// </summary>
internal static class AttentionBenchmarks
{
    private const long Batch = 2, TextTokens = 77, HeadDim = 64;

    public static void Forms(int rounds)
    {
        Console.WriteLine($"Machine: {Harness.Machine()}; {get_num_threads()} threads, float32, median of 7 calls per round, {rounds} rounds alternating");
        Console.WriteLine("| resolution | heads | form | ms per call, per round | GFLOP/s (best round) | max |Δ| against SDPA |");
        Console.WriteLine("|---|---|---|---|---|---|");
        using var noGrad = no_grad();
        using var gen = new Generator(0, CPU);
        foreach (var (side, heads) in new[] { (32L, 6L), (16L, 9L), (8L, 12L) })
        {
            using var scope = NewDisposeScope();
            long n = side * side, c = heads * HeadDim, keys = TextTokens + n;
            Tensor Random(long len) => randn(Batch, len, c, generator: gen);
            var (q0, kText, kImage, vText, vImage) = (Random(n), Random(TextTokens), Random(n), Random(TextTokens), Random(n));
            var bias = zeros(Batch, 1, TextTokens);
            Tensor Heads(Tensor t) => t.view(Batch, t.shape[1], heads, HeadDim).permute(0, 2, 1, 3);
            Tensor Merge(Tensor a) => a.view(Batch, heads, n, HeadDim).permute(0, 2, 1, 3).reshape(Batch, n, c);
            (Tensor Q, Tensor K, Tensor V, Tensor Bias) Inputs()
                => (Heads(q0), cat([Heads(kText), Heads(kImage)], 2), cat([Heads(vText), Heads(vImage)], 2), nn.functional.pad(bias, [0, n]).unsqueeze(1));

            Tensor Fused()
            {
                using var s = NewDisposeScope();
                var (q, k, v, b) = Inputs();
                return s.MoveToOuter(Merge(nn.functional.scaled_dot_product_attention(q, k, v, b)));
            }
            Tensor Explicit(long headsPerChunk)
            {
                using var s = NewDisposeScope();
                var (q, k, v, b) = Inputs();
                q = q.reshape(Batch * heads, n, HeadDim);
                var kT = k.reshape(Batch * heads, keys, HeadDim).transpose(1, 2);
                v = v.reshape(Batch * heads, keys, HeadDim);
                b = b.expand(Batch, heads, 1, keys).reshape(Batch * heads, 1, keys);
                var output = empty(Batch * heads, n, HeadDim);
                for (long i = 0; i < Batch * heads; i += headsPerChunk)
                {
                    using var chunk = NewDisposeScope();
                    long m = Math.Min(headsPerChunk, Batch * heads - i);
                    var scores = bmm(q.narrow(0, i, m), kT.narrow(0, i, m)).mul_(1.0 / Math.Sqrt(HeadDim)).add_(b.narrow(0, i, m));
                    output.narrow(0, i, m).copy_(bmm(scores.softmax(-1), v.narrow(0, i, m)));
                }
                return s.MoveToOuter(Merge(output));
            }
            long chunk = Math.Clamp((24L << 20) / (n * keys * sizeof(float)), 1, Batch * heads);
            var forms = new (string Name, Func<Tensor> Run)[] { ("fused SDPA", Fused), ("bmm → softmax → bmm", () => Explicit(Batch * heads)), ($"the same, {chunk} heads per chunk", () => Explicit(chunk)) };
            using var reference = Fused();
            var differences = forms.Select(f => { using var o = f.Run(); return (o - reference).abs().max().item<float>(); }).ToArray();
            var perRound = forms.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < rounds; r++)
                for (int f = 0; f < forms.Length; f++)
                {
                    var calls = new List<double>();
                    for (int i = 0; i < 7; i++)
                    {
                        var clock = Stopwatch.StartNew();
                        forms[f].Run().Dispose();
                        calls.Add(clock.Elapsed.TotalMilliseconds);
                    }
                    calls.Sort();
                    perRound[f].Add(calls[3]);
                }
            double flop = 2.0 * 2 * Batch * heads * n * keys * HeadDim;
            for (int f = 0; f < forms.Length; f++)
                Console.WriteLine($"| {side}×{side} | {heads} | {forms[f].Name} | {string.Join(", ", perRound[f].Select(t => t.ToString("F2")))} | {flop / perRound[f].Min() / 1e6:F1} | {differences[f]:E1} |");
        }
    }
}
