using System.Diagnostics;
using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Models;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// Times one network forward in one engine: a warm-up call, then <c>reps</c> timed calls on the same inputs. The output
/// of the last call goes to <c>out-SIDE-DTYPE[-B].safetensors</c> beside the model, for the parent's equality check.
/// </summary>
internal static class TimingChild
{
    public static string Run(string side, string net, string dir, string dtype, int threads, int reps, int batch) => side switch
    {
        "ours" => Ours(net, dir, dtype, threads, reps, batch),
        "ort" => Ort(net, dir, dtype, threads, reps, batch),
        _ => throw new ArgumentException($"unknown side '{side}'", nameof(side)),
    };

    internal static string Folder(string dir, string net) => Path.Combine(dir, net == "mnist" ? "mnist" : NetName(net));

    internal static string NetName(string net) => net switch
    {
        "if1" => "IF-I-M-v1.0",
        "if2" => "IF-II-M-v1.0",
        "t5" => "t5-v1_1-xxl-L2",
        "mnist" => "mnist",
        _ => throw new ArgumentException($"unknown network '{net}'", nameof(net)),
    };

    /// <summary>The ONNX graph; over protobuf's 2 GB (the T5 export) it sits in onnx/ with its external data files.</summary>
    internal static string OnnxPath(string dir, string net)
    {
        var nested = Path.Combine(Folder(dir, net), "onnx", "model.onnx");
        return File.Exists(nested) ? nested : Path.Combine(Folder(dir, net), "model.onnx");
    }

    /// <summary>The weights our loader and PyTorch read (the same tensors the ONNX graph holds).</summary>
    internal static string WeightsPath(string dir, string net) =>
        Path.Combine(Folder(dir, net), net == "t5" ? "model.safetensors" : "diffusion_pytorch_model.safetensors");

    internal static string OutPath(string dir, string net, string side, string dtype, int batch) =>
        Path.Combine(Folder(dir, net), net == "mnist" ? $"out-{side}-{dtype}-{batch}.safetensors" : $"out-{side}-{dtype}.safetensors");

    private static string Ours(string net, string dir, string dtypeName, int threads, int reps, int batch)
    {
        ChildResult.Trace("start");
        PeerRun.CheckPreload();
        PeerRun.ApplyMklOptIn();
        set_num_threads(threads);
        ChildResult.Trace("runtime");
        if (Environment.GetEnvironmentVariable(PeerRun.KeepBuffersVariable) == "1") Diffusion.Net.Hosting.NativeHeap.KeepLargeBuffers();
        var dtype = dtypeName == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32;
        var folder = Folder(dir, net);
        using var noGrad = no_grad();
        Func<Tensor> step;
        IDisposable model;
        if (net == "mnist")
        {
            using var probe = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
            long d = probe.Tensors["first_block.conv1.conv.weight"].Shape[0];
            var unet = new ClassConditionalUNet(hidden: d);
            ModuleWeights.Load(unet, Path.Combine(folder, "model.safetensors"));
            unet.eval();
            unet.to(dtype);
            if (PeerRun.RequestedChunk is int chunk) unet.InferenceChunk = chunk;
            using var inputs = SafetensorsFile.Open(Path.Combine(folder, $"inputs-{batch}.safetensors"));
            var x = inputs.Read("x").to(dtype).DetachFromDisposeScope();
            var c = inputs.Read("c").DetachFromDisposeScope();
            var t = inputs.Read("t").to(dtype).DetachFromDisposeScope();
            step = () => unet.forward(x, c, t);
            model = unet;
        }
        else if (net == "t5")
        {
            var config = T5Config.Load(Path.Combine(folder, "config.json"));
            var t5 = new T5EncoderModel(config, new WeightAllocation(CPU, dtype));
            using (var weights = SafetensorsFile.Open(WeightsPath(dir, net)))
                ModuleWeights.Load(t5, weights, T5EncoderModel.TiedKeys);
            t5.eval();
            if (Environment.GetEnvironmentVariable(PeerRun.PackVariable) == "1" && !t5.PackLinearWeights())
                throw new InvalidOperationException("PackLinearWeights did not apply here (needs float32 and libtorch's MKL packed GEMM).");
            using var inputs = SafetensorsFile.Open(Path.Combine(folder, "inputs.safetensors"));
            var ids = inputs.Read("input_ids").DetachFromDisposeScope();
            var mask = inputs.Read("attention_mask").DetachFromDisposeScope();
            step = () => t5.Forward(ids, mask);
            model = t5;
        }
        else
        {
            var unet = LoadIFUNet(dir, net, dtype);
            if (Environment.GetEnvironmentVariable(PeerRun.PackVariable) == "1" && !unet.PackConvolutionWeights())
                throw new InvalidOperationException("PackConvolutionWeights did not apply here (needs float32 or bfloat16 on the CPU and a libtorch with oneDNN).");
            using var inputs = SafetensorsFile.Open(Path.Combine(folder, "inputs.safetensors"));
            var sample = inputs.Read("sample").to(dtype).DetachFromDisposeScope();
            var timestep = inputs.Read("timestep").DetachFromDisposeScope();
            var text = inputs.Read("text").to(dtype).DetachFromDisposeScope();
            var labels = inputs.Tensors.ContainsKey("class_labels") ? inputs.Read("class_labels").DetachFromDisposeScope() : null;
            step = () => unet.Forward(sample, timestep, text, labels);
            model = unet;
        }
        using (model)
        {
            ChildResult.Trace("model");
            using (NewDisposeScope()) step();
            ChildResult.Trace("warm");
            var times = new List<double>();
            Tensor? last = null;
            for (int i = 0; i < reps; i++)
            {
                using var scope = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                var output = step();
                times.Add(sw.Elapsed.TotalSeconds);
                last?.Dispose();
                last = output.to(ScalarType.Float32).contiguous().MoveToOuterDisposeScope();
                ChildResult.Trace($"rep {i + 1}");
            }
            SafetensorsWriter.Save(OutPath(dir, net, PeerRun.OursOutput(), dtypeName, batch), new Dictionary<string, Tensor> { ["out"] = last! });
            ChildResult.Trace("end");
            return ChildResult.FromTimes("ours", times).ToJson();
        }
    }

    /// <summary>An IF UNet as a user builds it: the config, the module in the target dtype, the weights.</summary>
    internal static IFUNet LoadIFUNet(string dir, string net, ScalarType dtype)
    {
        var config = IFUNetConfig.Load(Path.Combine(Folder(dir, net), "config.json"));
        var unet = new IFUNet(config, new WeightAllocation(CPU, dtype));
        ModuleWeights.Load(unet, WeightsPath(dir, net));
        unet.eval();
        return unet;
    }

    /// <summary>Set to a path prefix in an ONNX Runtime child's environment to write its per-node profile there.</summary>
    internal const string OrtProfileVariable = "DN_PEERS_ORT_PROFILE";

    /// <summary>The session options of every ONNX Runtime child: CPU provider, every graph optimisation, sequential.</summary>
    internal static SessionOptions OrtOptions(int threads) => new()
    {
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    /// <summary>ONNX Runtime's CPU execution provider with every graph optimisation on; no TorchSharp in this process.</summary>
    private static string Ort(string net, string dir, string dtypeName, int threads, int reps, int batch)
    {
        if (dtypeName != "float32") throw new ArgumentException("ONNX Runtime's x64 CPU provider has no bfloat16 kernels for these graphs; run it in float32.", nameof(dtypeName));
        var folder = Folder(dir, net);
        ChildResult.Trace("start");
        using var options = OrtOptions(threads);
        // The per-node profile (tools/ort_profile.py sums it): ONNX Runtime's own, since no external profiler sees its kernels.
        if (Environment.GetEnvironmentVariable(OrtProfileVariable) is { Length: > 0 } prefix)
        {
            // The prefix first: setting EnableProfiling passes the current prefix to the native options.
            options.ProfileOutputPathPrefix = prefix;
            options.EnableProfiling = true;
        }
        using var session = new InferenceSession(OnnxPath(dir, net), options);
        ChildResult.Trace("model");
        var inputs = RawSafetensors.Read(Path.Combine(folder, net == "mnist" ? $"inputs-{batch}.safetensors" : "inputs.safetensors"));
        var names = session.InputMetadata.Keys.ToArray();
        var values = names.Select(n => inputs[n].DType == "I64"
            ? OrtValue.CreateTensorValueFromMemory(inputs[n].Longs(), inputs[n].Shape)
            : OrtValue.CreateTensorValueFromMemory(inputs[n].Floats(), inputs[n].Shape)).ToArray();
        var outputNames = session.OutputMetadata.Keys.ToArray();
        using var runOptions = new RunOptions();
        try
        {
            using (var warm = session.Run(runOptions, names, values, outputNames)) { }
            ChildResult.Trace("warm");
            var times = new List<double>();
            float[] last = [];
            long[] shape = [];
            for (int i = 0; i < reps; i++)
            {
                var sw = Stopwatch.StartNew();
                using var results = session.Run(runOptions, names, values, outputNames);
                times.Add(sw.Elapsed.TotalSeconds);
                last = results[0].GetTensorDataAsSpan<float>().ToArray();
                shape = results[0].GetTensorTypeAndShape().Shape;
                ChildResult.Trace($"rep {i + 1}");
            }
            RawSafetensors.WriteFloat(OutPath(dir, net, "ort", dtypeName, batch), "out", last, shape);
            ChildResult.Trace("end");
            return ChildResult.FromTimes("onnxruntime", times).ToJson();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}
