using BenchmarkDotNet.Attributes;
using Diffusion.Net.Imaging;
using Diffusion.Net.Prediction;
using Diffusion.Net.Sampling;
using Diffusion.Net.Schedules;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks;

/// <summary>The per-step overhead of the core (sampler math, guidance batching, views) without a network.</summary>
[MemoryDiagnoser]
public class CoreBenchmarks
{
    private readonly NoiseSchedule _schedule = NoiseSchedules.SquaredCosCapV2(1000, 0.999, SchedulePrecision.PyTorchFloat32);
    private Tensor _x = null!;
    private ModelPrediction _prediction = null!;
    private readonly INoiseSource _noise = new GeneratorNoiseSource(new Generator(0, CPU));

    [GlobalSetup]
    public void Setup()
    {
        _x = randn(2, 3, 64, 64);
        _prediction = new ModelPrediction(randn(2, 3, 64, 64), variance: randn(2, 3, 64, 64).tanh());
    }

    [Benchmark(Description = "DDPM learned-range step with thresholding, 2×3×64×64")]
    public void DdpmStep()
    {
        using var scope = NewDisposeScope();
        using var step = new DdpmSampler(new DdpmSamplerOptions { Variance = DdpmVariance.LearnedRange, Thresholding = true, ThresholdingRatio = 0.95, SampleMaxValue = 1.5 })
            .Step(_schedule, _x, _prediction, 500, 470, _noise);
    }

    [Benchmark(Description = "Gaussian blur k=33 σ=2, 2×3×64×64 (hybrid-image filter)")]
    public void Blur()
    {
        using var y = GaussianBlur.Apply(_x, 33, 2);
    }
}
