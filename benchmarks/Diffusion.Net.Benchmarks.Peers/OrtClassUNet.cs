using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Prediction;
using Diffusion.Net.Schedules;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// The CS180 class-conditioned UNet run by ONNX Runtime behind Diffusion.Net's predictor interface, so the same C#
/// sampling loop (guidance, DPM-Solver++) drives either engine. It reads labels and time exactly as
/// <see cref="ClassConditionalUNet.Predict"/> does.
/// </summary>
internal sealed class OrtClassUNet(InferenceSession session, INoiseSchedule schedule) : IDiffusionModel
{
    public IDiffusionProcess Process => schedule;

    public ModelPrediction Predict(Tensor sample, Tensor timesteps, Condition condition)
    {
        long batch = sample.shape[0];
        long[] labels = condition switch
        {
            NullCondition => Enumerable.Repeat(-1L, (int)batch).ToArray(),
            ClassCondition cc => ((ClassCondition)cc.Repeat((int)batch)).Labels.ToArray(),
            _ => throw new ArgumentException($"class labels or no condition; got {condition}", nameof(condition)),
        };
        using var scope = NewDisposeScope();
        var x = sample.to(ScalarType.Float32).contiguous();
        var t = MnistSchedules.NormalisedTime(timesteps, schedule, x).contiguous();
        var xs = x.data<float>().ToArray();
        var ts = t.data<float>().ToArray();
        using var xv = OrtValue.CreateTensorValueFromMemory(xs, x.shape);
        using var cv = OrtValue.CreateTensorValueFromMemory(labels, [batch]);
        using var tv = OrtValue.CreateTensorValueFromMemory(ts, [batch]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x", "c", "t"], [xv, cv, tv], ["out"]);
        var output = tensor(results[0].GetTensorDataAsSpan<float>().ToArray(), x.shape);
        return new ModelPrediction(output).MoveToOuter(scope);
    }
}
