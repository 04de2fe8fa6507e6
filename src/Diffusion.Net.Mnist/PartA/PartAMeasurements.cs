using Diffusion.Net.Imaging;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Evaluation;
using Diffusion.Net.Views;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.PartA;

/// <summary>SDEdit at one start index (and its model timestep): mean L2 distance to the source and the share keeping the source's digit.</summary>
public sealed record SdeditLevel(int StartIndex, double Timestep, double MeanDistance, double KeptRate);

/// <summary>Rates of Part A techniques on MNIST, measured with the evaluation classifier over many independent samples.</summary>
/// <param name="Samples">Samples per measurement.</param>
/// <param name="Sdedit">SDEdit per start index (unconditional, CS180's "high quality photo").</param>
/// <param name="InpaintingRate">Completed lower halves read as the condition (the source's digit).</param>
/// <param name="Img2ImgRate">Digits pushed at mid noise toward another digit that read as that digit.</param>
/// <param name="Img2ImgStartIndex">The start index of the conditional image-to-image measurement.</param>
/// <param name="AnagramRate">Rotation anagrams that read as 6 upright and 9 rotated 180°.</param>
/// <param name="FlipAnagramRate">Flip anagrams that read as 2 upright and 5 flipped upside down.</param>
/// <param name="HybridRates">Per (far, near) pair: blurred reads as far and high-pass as near.</param>
public sealed record PartAReport(int Samples, IReadOnlyList<SdeditLevel> Sdedit, double InpaintingRate, double Img2ImgRate, int Img2ImgStartIndex,
    double AnagramRate, double FlipAnagramRate, IReadOnlyList<(int Far, int Near, double Rate)> HybridRates);

/// <summary>
/// Measures <see cref="MnistPartA"/> with the classifier of <see cref="MnistEvaluator"/>. Hybrids are read in the
/// filtered domains, where the classifier (trained on sharp digits) is not valid: the blurred image and the
/// high-pass residual are each assigned to the nearest class prototype (the mean of 100 real test digits of that
/// class, filtered the same way; cosine similarity).
/// </summary>
public sealed class PartAMeasurements(MnistPartA partA, MnistEvaluator evaluator, MnistDataset test)
{
    /// <summary>The hybrid pairs measured: (far, near).</summary>
    public static IReadOnlyList<(int Far, int Near)> HybridPairs { get; } = [(0, 7), (8, 1), (0, 1)];

    /// <summary>Runs every measurement over <paramref name="count"/> samples.</summary>
    public PartAReport MeasureAll(int count, long seed = 0, int img2ImgStart = 10)
    {
        var levels = MeasureSdedit(count, seed);
        return new PartAReport(count, levels, MeasureInpainting(count, seed), MeasureImg2Img(count, seed, img2ImgStart), img2ImgStart,
            MeasureAnagram(6, 9, View.Rotate180, count, seed), MeasureAnagram(2, 5, View.FlipVertical, count, seed),
            HybridPairs.Select(p => (p.Far, p.Near, MeasureHybrid(p.Far, p.Near, count, seed))).ToList());
    }

    /// <summary>The first <paramref name="count"/> test digits and their labels (the sources).</summary>
    public (Tensor Images, int[] Labels) Sources(int count)
    {
        using var idx = arange(count, dtype: ScalarType.Int64);
        return (test.Images(idx), Enumerable.Range(0, count).Select(test.Label).ToArray());
    }

    /// <summary>SDEdit (unconditional) at CS180's start indices.</summary>
    public IReadOnlyList<SdeditLevel> MeasureSdedit(int count, long seed)
    {
        var (sources, labels) = Sources(count);
        using var _ = sources;
        var levels = new List<SdeditLevel>();
        foreach (var start in MnistPartA.Cs180StartIndices)
        {
            using var result = partA.Sdedit(sources, start, null, seed);
            using var clipped = result.clamp(0f, 1f);
            using var distance = (clipped - sources).pow(2).sum([1, 2, 3]).sqrt().mean();
            var (digits, _) = evaluator.Classify(clipped);
            levels.Add(new SdeditLevel(start, partA.TimestepAt(start), distance.item<float>(), digits.Where((d, i) => d == labels[i]).Count() / (double)count));
        }
        return levels;
    }

    /// <summary>Inpainting of the lower half toward the source's own digit.</summary>
    public double MeasureInpainting(int count, long seed)
    {
        var (sources, labels) = Sources(count);
        using var _ = sources;
        using var mask = MnistPartA.LowerHalfMask();
        using var result = partA.Inpainting(sources, mask, labels).Run(seed);
        return Rate(result, labels);
    }

    /// <summary>SDEdit at <paramref name="startIndex"/> toward (label + 5) mod 10.</summary>
    public double MeasureImg2Img(int count, long seed, int startIndex = 10)
    {
        var (sources, labels) = Sources(count);
        using var _ = sources;
        var targets = labels.Select(l => (l + 5) % 10).ToArray();
        using var result = partA.Sdedit(sources, startIndex, targets, seed);
        return Rate(result, targets);
    }

    /// <summary>Anagrams reading as <paramref name="upright"/> and, through the view, as <paramref name="other"/>.</summary>
    public double MeasureAnagram(int upright, int other, IView view, int count, long seed)
    {
        using var result = partA.Anagram(upright, other, view, count, seed);
        using var clipped = result.clamp(0f, 1f);
        using var seen = view.Apply(clipped);
        var (a, _) = evaluator.Classify(clipped);
        var (b, _) = evaluator.Classify(seen);
        return Enumerable.Range(0, count).Count(i => a[i] == upright && b[i] == other) / (double)count;
    }

    /// <summary>Hybrids whose blur reads as <paramref name="far"/> and whose high-pass reads as <paramref name="near"/>.</summary>
    public double MeasureHybrid(int far, int near, int count, long seed, int kernelSize = 33, double sigma = 2.0)
    {
        using var result = partA.Hybrid(far, near, count, seed, kernelSize, sigma);
        using var clipped = result.clamp(0f, 1f);
        var (a, b) = ReadHybrid(clipped, kernelSize, sigma);
        return Enumerable.Range(0, count).Count(i => a[i] == far && b[i] == near) / (double)count;
    }

    /// <summary>The (far, near) digits each image reads as: nearest low-pass and high-pass class prototypes.</summary>
    public (int[] Far, int[] Near) ReadHybrid(Tensor images, int kernelSize = 33, double sigma = 2.0)
    {
        using var scope = NewDisposeScope();
        using var idx = tensor(test.FirstOfEachDigit(100));
        var real = test.Images(idx);
        Tensor Low(Tensor x) => GaussianBlur.Apply(x, kernelSize, sigma);
        Tensor High(Tensor x) => x - GaussianBlur.Apply(x, kernelSize, sigma);
        int[] Nearest(Tensor filtered, Tensor prototypes)
        {
            var f = nn.functional.normalize(filtered.flatten(1), dim: 1);
            var p = nn.functional.normalize(prototypes.flatten(1), dim: 1);
            return f.matmul(p.t()).argmax(1).data<long>().Select(v => (int)v).ToArray();
        }
        var lowPrototypes = Low(real).reshape(10, 100, -1).mean([1]);
        var highPrototypes = High(real).reshape(10, 100, -1).mean([1]);
        return (Nearest(Low(images), lowPrototypes), Nearest(High(images), highPrototypes));
    }

    private double Rate(Tensor images, int[] wanted)
    {
        using var clipped = images.clamp(0f, 1f);
        var (digits, _) = evaluator.Classify(clipped);
        return digits.Where((d, i) => d == wanted[i]).Count() / (double)wanted.Length;
    }
}
