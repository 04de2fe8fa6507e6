using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// Times one load of a network in a fresh process: from the engine's runtime being up to a model ready to run (ours:
/// the module built and its safetensors loaded; ONNX Runtime: the session created with the timing child's options).
/// The runtime's own start-up is left out on every side (the parent reports the whole process's wall time beside it).
/// </summary>
internal static class LoadChild
{
    public static string Run(string side, string net, string dir, int threads)
    {
        double seconds;
        if (side == "ours")
        {
            set_num_threads(threads);  // loads libtorch before the clock starts
            var sw = Stopwatch.StartNew();
            using var model = TimingChild.LoadIFUNet(dir, net, ScalarType.Float32);
            seconds = sw.Elapsed.TotalSeconds;
        }
        else if (side == "ort")
        {
            using var options = TimingChild.OrtOptions(threads);  // loads the native runtime before the clock starts
            var sw = Stopwatch.StartNew();
            using var session = new InferenceSession(TimingChild.OnnxPath(dir, net), options);
            seconds = sw.Elapsed.TotalSeconds;
        }
        else
        {
            throw new ArgumentException($"unknown side '{side}'", nameof(side));
        }
        return ChildResult.FromTimes(side == "ours" ? "ours" : "onnxruntime", [seconds]).ToJson();
    }
}
