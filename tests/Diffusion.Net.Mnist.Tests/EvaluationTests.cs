using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Mnist.Evaluation;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Mnist.Training;
using FluentAssertions;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Mnist.Tests;

[Collection(nameof(QuickModelCollection))]
public class EvaluationTests(QuickModelFixture fixture)
{
    [Fact]
    public void FrechetDistance_MatchesTheClosedForm_ForDiagonalGaussians()
    {
        // ‖μ1 − μ2‖² + Σ (√a − √b)² for diagonal covariances.
        using var scope = NewDisposeScope();
        var m1 = tensor(new double[] { 0, 1, 2 });
        var m2 = tensor(new double[] { 1, 1, 0 });
        var a = new double[] { 1, 4, 9 };
        var b = new double[] { 4, 1, 9 };
        double expected = 1 + 0 + 4 + a.Zip(b).Sum(p => Math.Pow(Math.Sqrt(p.First) - Math.Sqrt(p.Second), 2));
        MnistEvaluator.Frechet(m1, diag(tensor(a)), m2, diag(tensor(b))).Should().BeApproximately(expected, 1e-9);
    }

    [Fact]
    public void FrechetDistance_OfADistributionWithItself_IsZero_AndItIsRotationInvariant()
    {
        using var scope = NewDisposeScope();
        var x = randn(500, 6, dtype: ScalarType.Float64);
        var c = x.t().matmul(x) / 499;
        var m = x.mean([0]);
        MnistEvaluator.Frechet(m, c, m, c).Should().BeApproximately(0, 1e-8);
        var (q, _) = linalg.qr(randn(6, 6, dtype: ScalarType.Float64));
        var c2 = q.matmul(c).matmul(q.t());
        var m2 = q.matmul(m);
        var shift = tensor(new double[] { 0.5, 0, 0, 0, 0, 0 });
        MnistEvaluator.Frechet(m + shift, c, m, c).Should().BeApproximately(0.25, 1e-8);
        MnistEvaluator.Frechet(m2, c2, m2, c2).Should().BeApproximately(0, 1e-8);
    }

    [Fact]
    public async Task Classifier_ReachesAtLeast99PercentTestAccuracy_AndRealDigitsScoreAsReal()
    {
        // The fixture loads the classifier shipped with the package.
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        var evaluator = fixture.Evaluator;
        evaluator.TestAccuracy.Should().BeGreaterThanOrEqualTo(0.99);
        MnistEvaluator.Accuracy(evaluator.Classifier, test).Should().Be(evaluator.TestAccuracy);

        using var scope = NewDisposeScope();
        var idx = tensor(test.FirstOfEachDigit(20));
        var real = test.Images(idx);
        var labels = test.Labels(idx).data<long>().Select(l => (int)l).ToArray();
        var quality = evaluator.Evaluate(real, labels, seed: 3);
        quality.ClassAgreement.Should().BeGreaterThan(0.97);
        quality.MeanConfidence.Should().BeGreaterThan(0.95);
        quality.FrechetRatio.Should().BeLessThan(2.5, "real digits sit at the real-digit floor");

        var noise = rand(200, 1, 28, 28);
        var junk = evaluator.Evaluate(noise, labels, seed: 3);
        junk.FrechetRatio.Should().BeGreaterThan(10, "uniform noise is far from digits");
        junk.ClassAgreement.Should().BeLessThan(0.3);
    }

    [Fact]
    public async Task ShippedClassifier_IsTheOneTheDocsWereMeasuredWith()
    {
        // docs/results-mnist.md: 99.29% test accuracy, and 31.70 for 200 real test digits drawn with seed 0 (the main
        // job's real-digit floor). The tolerances allow other CPUs' kernels to round differently, not another classifier.
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        var evaluator = MnistEvaluator.LoadShipped(test);
        evaluator.TestAccuracy.Should().BeApproximately(0.9929, 0.00025);
        using var scope = NewDisposeScope();
        var anyTwoHundred = zeros(200, 1, 28, 28);
        evaluator.Evaluate(anyTwoHundred, MnistSampling.EachDigit(20), seed: 0).RealFrechetDistance.Should().BeApproximately(31.70, 0.01);
    }

    [Fact]
    public async Task LoadOrTrain_TrainsTheShippedRecipe_CachesIt_AndReadsLikeTheShippedClassifier()
    {
        var train = await MnistDataset.LoadAsync(MnistSplit.Train);
        var test = await MnistDataset.LoadAsync(MnistSplit.Test);
        var folder = Directory.CreateTempSubdirectory("diffusion-net-classifier-");
        try
        {
            var path = Path.Combine(folder.FullName, "classifier.safetensors");
            var trained = MnistEvaluator.LoadOrTrain(train, test, path);
            trained.TestAccuracy.Should().BeGreaterThanOrEqualTo(0.99);
            File.Exists(path).Should().BeTrue("a classifier that passes is cached");
            var cached = MnistEvaluator.LoadOrTrain(train, test, path);
            cached.TestAccuracy.Should().Be(trained.TestAccuracy, "the second call loads the cache instead of training");

            using var scope = NewDisposeScope();
            var shipped = MnistEvaluator.LoadShipped(test);
            var images = test.Images(0, 2000);
            var (ours, _) = trained.Classify(images);
            var (theirs, _) = shipped.Classify(images);
            ours.Zip(theirs).Count(p => p.First == p.Second).Should().BeGreaterThanOrEqualTo(1970,
                "the recipe that produced the shipped weights, run again, reads test digits the same way (≥ 98.5%)");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
