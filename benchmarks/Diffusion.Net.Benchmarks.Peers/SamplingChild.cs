using System.Diagnostics;
using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Sampling;
using Diffusion.Net.Pipelines;
using Diffusion.Net.Prediction;
using Diffusion.Net.Guidance;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// Row 5: 100 MNIST digits (10 of each) with CFG γ = 5 under DPM-Solver++ 2M in 10 steps (the main job's sampler),
/// the loop in C# and the network in either engine. Each repetition is one whole 100-digit run from the same seed.
/// </summary>
internal static class SamplingChild
{
    public static string Run(string side, string dir, int threads, int reps)
    {
        PeerRun.CheckPreload();
        PeerRun.ApplyMklOptIn();
        set_num_threads(threads);
        if (Environment.GetEnvironmentVariable(PeerRun.KeepBuffersVariable) == "1") Diffusion.Net.Hosting.NativeHeap.KeepLargeBuffers();
        var folder = Path.Combine(dir, "mnist");
        using var probe = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        long d = probe.Tensors["first_block.conv1.conv.weight"].Shape[0];
        using var unet = new ClassConditionalUNet(hidden: d);
        ModuleWeights.Load(unet, Path.Combine(folder, "model.safetensors"));
        unet.eval();
        if (PeerRun.RequestedChunk is int chunk) unet.InferenceChunk = chunk;
        var digits = MnistSampling.EachDigit(10);
        var sampler = MnistSampler.DpmSolverPlusPlus(10);
        InferenceSession? session = null;
        SessionOptions? options = null;
        DiffusionPipeline pipeline;
        if (side == "ours")
        {
            pipeline = MnistSampling.ClassConditioned(unet, digits, 5.0, sampler: sampler);
        }
        else
        {
            options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1 };
            session = new InferenceSession(Path.Combine(folder, "model.onnx"), options);
            // The same chain MnistSampling.ClassConditioned builds for a DDPM model, over the ONNX Runtime network.
            var model = new OrtClassUNet(session, unet.Schedule!);
            pipeline = DiffusionPipeline.FromNoise(digits.Length, 1, 28, 28)
                .Denoise(model, sampler.Steps!.Value, Condition.Classes(digits))
                .WithSampler(sampler.Sampler)
                .WithGuidance(Guide.ClassifierFree(5.0));
        }
        try
        {
            bool retain = Environment.GetEnvironmentVariable(PeerRun.RetainVariable) == "1";
            pipeline.Run(new DiffusionRunOptions { Seed = 0, ReleaseFreedMemory = !retain }).Dispose();
            var times = new List<double>();
            Tensor? last = null;
            for (int i = 0; i < reps; i++)
            {
                var sw = Stopwatch.StartNew();
                var result = pipeline.Run(new DiffusionRunOptions { Seed = 1, ReleaseFreedMemory = !retain }).TakeSample();
                times.Add(sw.Elapsed.TotalSeconds);
                last?.Dispose();
                last = result;
            }
            SafetensorsWriter.Save(Path.Combine(folder, $"out-sample-{(side == "ours" ? PeerRun.OursOutput() : side)}.safetensors"), new Dictionary<string, Tensor> { ["out"] = last! });
            last!.Dispose();
            return ChildResult.FromTimes(side == "ours" ? "ours" : "onnxruntime", times).ToJson();
        }
        finally
        {
            session?.Dispose();
            options?.Dispose();
        }
    }
}
