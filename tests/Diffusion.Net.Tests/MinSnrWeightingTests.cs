using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using Diffusion.Net.Training;
using FluentAssertions;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Diffusion.Net.Tests;

public sealed class MinSnrWeightingTests
{
    private static readonly NoiseSchedule Schedule = NoiseSchedules.Linear(1e-4, 0.02, 300);

    [Fact]
    public void Weights_AreMinSnrOverSnr_FromTheBetasAlone()
    {
        var w = EpsilonPredictionObjective.MinSnrWeights(Schedule, 5.0);
        w.Should().HaveCount(300);
        // Recompute ᾱ from the linear β's without the schedule's own table.
        double alphaBar = 1;
        for (int t = 0; t < 300; t++)
        {
            alphaBar *= 1 - (1e-4 + (0.02 - 1e-4) * t / 299.0);
            double snr = alphaBar / (1 - alphaBar);
            double expected = snr > 5 ? 5 / snr : 1;
            ((double)w[t]).Should().BeApproximately(expected, 1e-6 * Math.Max(expected, 1e-3), $"t = {t}");
        }
        // t = 0: SNR = (1 − 1e-4) / 1e-4 = 9999, so the nearly clean step counts 5/9999 of a noisy one.
        ((double)w[0]).Should().BeApproximately(5.0 / 9999, 1e-9);
        w[299].Should().Be(1f);
        // Weights fall monotonically to 1 as the noise grows: they never exceed 1 for ε-prediction.
        w.Zip(w.Skip(1)).Should().OnlyContain(p => p.First <= p.Second);
    }

    [Fact]
    public void Loss_WeightsEachRowsSquaredError_ByItsTimestep()
    {
        const long b = 16;
        using var x0 = rand(b, 1, 4, 4, generator: new Generator(1));
        using var batch = new TrainingBatch(x0.clone());
        var objective = new EpsilonPredictionObjective(new ZeroPredictor(), Schedule, minSnrGamma: 5.0);
        using var loss = objective.Loss(batch, new Generator(42));

        // Replay the objective's draws (t, then ε) from the same seed; with ε̂ = 0 a row's error is mean(ε²).
        var replay = new Generator(42);
        using var t = randint(0, 300, [b], ScalarType.Int64, generator: replay);
        using var noise = randn([b, 1, 4, 4], ScalarType.Float32, generator: replay);
        var w = EpsilonPredictionObjective.MinSnrWeights(Schedule, 5.0);
        var ts = t.data<long>().ToArray();
        using var rowMeans = noise.square().reshape(b, -1).mean([1]).to(ScalarType.Float64);
        var rows = rowMeans.data<double>().ToArray();
        double expected = Enumerable.Range(0, (int)b).Sum(i => w[ts[i]] * rows[i]) / b;
        ts.Should().Contain(x => w[x] < 0.5f, "the draw should include weighted-down timesteps for the test to mean anything");

        loss.item<float>().Should().BeApproximately((float)expected, 1e-6f);
        using var uniform = new EpsilonPredictionObjective(new ZeroPredictor(), Schedule).Loss(batch, new Generator(42));
        uniform.item<float>().Should().BeApproximately((float)(rows.Sum() / b), 1e-6f);
        loss.item<float>().Should().BeLessThan(uniform.item<float>());
    }

    [Fact]
    public void Loss_WithAGammaAboveEverySnr_EqualsTheUniformLoss()
    {
        using var x0 = rand(8, 1, 4, 4, generator: new Generator(3));
        using var batch = new TrainingBatch(x0.clone());
        using var weighted = new EpsilonPredictionObjective(new ZeroPredictor(), Schedule, minSnrGamma: 1e6).Loss(batch, new Generator(7));
        using var uniform = new EpsilonPredictionObjective(new ZeroPredictor(), Schedule).Loss(batch, new Generator(7));
        weighted.item<float>().Should().BeApproximately(uniform.item<float>(), 1e-6f);
    }

    [Fact]
    public void Weights_AtTheScheduleEnds_AreFinite_ZeroForCleanDataAndOneForPureNoise()
    {
        // The library's schedules keep ᾱ inside (0, 1); a user's INoiseSchedule may reach both ends.
        EpsilonPredictionObjective.MinSnrWeights(new TableSchedule([1.0, 0.5, 0.0]), 5).Should().Equal(0f, 1f, 1f);
    }

    private sealed class TableSchedule(double[] alphaBars) : INoiseSchedule
    {
        public int Length => alphaBars.Length;
        public IReadOnlyList<double> Betas => throw new NotSupportedException();
        public IReadOnlyList<double> AlphaBars => alphaBars;
        public double AlphaBar(int timestep) => timestep < 0 ? 1 : alphaBars[timestep];
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void BadGamma_IsRejectedNamingTheParameter(double gamma)
    {
        var act = () => new EpsilonPredictionObjective(new ZeroPredictor(), Schedule, minSnrGamma: gamma);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("minSnrGamma");
    }

    [Fact]
    public void Name_RecordsTheWeighting_SoACheckpointCannotResumeUnderAnotherLoss()
    {
        new EpsilonPredictionObjective(new ZeroPredictor(), Schedule, minSnrGamma: 5).Name.Should().Contain("Min-SNR-5");
        new EpsilonPredictionObjective(new ZeroPredictor(), Schedule).Name.Should().NotContain("Min-SNR");
    }

    private sealed class ZeroPredictor : INoisePredictor
    {
        public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition) => new(zeros_like(sample));
    }
}
