using System.Globalization;
using Diffusion.Net.IO;
using Diffusion.Net.Mnist.Models;
using Diffusion.Net.Mnist.Training;
using Diffusion.Net.Training;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks.Peers;

/// <summary>
/// Our side of the training row: the CS180 class-conditioned UNet trained by the library's <see cref="DiffusionTrainer"/>
/// (its loop, <see cref="AdamOptimizer"/>, and its precision scheme) with the class-conditioned recipe's options, on the
/// fixed batch of <c>train-B.safetensors</c>. First CHECK steps from the exported weights, whose losses and weights go to
/// <c>train-out-ours-DTYPE.safetensors</c> for the parent's equality check; then, with a fresh optimizer as a second
/// training run would have, WARMUP steps and STEPS timed ones.
/// </summary>
/// <remarks>
/// "BFloat16" in the trainer: the whole network (parameters and BatchNorm buffers) is cast to bfloat16 and computes
/// forward and backward in it, the batch is cast to bfloat16, the loss is taken in float32, and Adam keeps float32
/// master weights and moments, copying the masters into the bfloat16 parameters after each step.
/// </remarks>
internal static class TrainingChild
{
    /// <summary>Args: DIR DTYPE THREADS CHECK WARMUP STEPS [BATCH]; returns one JSON line (<see cref="ChildResult"/>).</summary>
    public static string Run(string[] args)
    {
        if (args.Length is < 6 or > 7) throw new ArgumentException("train-child DIR DTYPE THREADS CHECK WARMUP STEPS [BATCH]", nameof(args));
        string dir = args[0], dtypeName = args[1];
        int threads = Int(args[2]), check = Int(args[3]), warmup = Int(args[4]), steps = Int(args[5]);
        int batch = args.Length > 6 ? Int(args[6]) : MnistRecipes.ClassConditioned.Training.BatchSize;
        var precision = dtypeName switch
        {
            "float32" => TrainingPrecision.Float32,
            "bfloat16" => TrainingPrecision.BFloat16,
            _ => throw new ArgumentException($"unknown dtype '{dtypeName}' (float32, bfloat16)", nameof(args)),
        };
        if (warmup < 1 || steps < 1) throw new ArgumentException("WARMUP and STEPS must be at least 1.", nameof(args));
        set_num_threads(threads);
        var folder = Path.Combine(dir, "mnist");
        using var probe = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        long d = probe.Tensors["first_block.conv1.conv.weight"].Shape[0];
        using var unet = new ClassConditionalUNet(hidden: d);
        ModuleWeights.Load(unet, probe);
        using var inputs = SafetensorsFile.Open(BatchPath(dir, batch));
        using var x = inputs.Read("x");
        using var c = inputs.Read("c");
        using var t = inputs.Read("t");
        using var target = inputs.Read("target");
        var objective = new TrainingFixedObjective(unet, t, target);
        // The recipe's options, one epoch of exactly the steps wanted, no checkpoints.
        var options = MnistRecipes.ClassConditioned.Training with { Epochs = 1, BatchSize = batch, Precision = precision, ProgressEvery = 1, CheckpointDirectory = null };

        if (check > 0)
        {
            var result = new DiffusionTrainer(unet, objective, options).Train(new TrainingFixedBatch(x, c, check));
            // After Train the network holds float32 weights (the masters, in a bfloat16 run).
            using var scope = NewDisposeScope();
            var state = unet.state_dict().Where(kv => kv.Value.is_floating_point())
                .ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32).contiguous());
            state["loss"] = tensor(result.History.Points.Select(p => (float)p.Loss).ToArray());
            SafetensorsWriter.Save(OutPath(dir, "ours", dtypeName), state);
        }
        var clock = new TrainingStepClock();
        new DiffusionTrainer(unet, objective, options).Train(new TrainingFixedBatch(x, c, warmup + steps), clock);
        return ChildResult.FromTimes("ours", clock.StepSeconds(warmup)).ToJson();
    }

    internal static string BatchPath(string dir, int batch) => Path.Combine(dir, "mnist", $"train-{batch}.safetensors");

    internal static string OutPath(string dir, string side, string dtype) => Path.Combine(dir, "mnist", $"train-out-{side}-{dtype}.safetensors");

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
}
