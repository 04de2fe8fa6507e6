using System.Diagnostics;
using System.Globalization;
using Diffusion.Net.DeepFloyd.Config;
using Diffusion.Net.DeepFloyd.Loading;
using Diffusion.Net.DeepFloyd.Models;
using Diffusion.Net.IO;
using Diffusion.Net.Samples.Cli;
using static TorchSharp.torch;

namespace Diffusion.Net.Benchmarks;

internal static class DeepFloydBenchmarks
{
    private static string ConfigPath(string model)
    {
        // IFUNetConfig.Load wants a config.json file; the benchmark keeps the inferred IF-I-M/L configs beside itself.
        var dir = Path.Combine(Path.GetTempPath(), "dn-bench-configs", model);
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "config.json");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "configs", $"{model}.unet.json"), path, overwrite: true);
        return path;
    }

    /// <summary>Fills a network with small random weights (norm weights 1, biases 0) from a seeded generator.</summary>
    private static void Randomize(nn.Module module, long seed)
    {
        using var g = new Generator((ulong)seed, CPU);
        using var noGrad = no_grad();
        foreach (var (name, p) in module.named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
            else if (p.dim() == 1) p.fill_(1);
            else
            {
                using var scope = NewDisposeScope();
                p.copy_(randn(p.shape, ScalarType.Float32, generator: g) * (1.0 / Math.Sqrt(p.shape.Skip(1).Aggregate(1L, (a, b) => a * b))));
            }
        }
    }

    public static void StepAll(ProgressDisplay display)
    {
        Console.WriteLine($"Machine: {Harness.Machine()}");
        Console.WriteLine("| model | parameters | dtype | seconds per UNet step (batch 2, 64×64) | peak RSS |");
        Console.WriteLine("|---|---|---|---|---|");
        using var children = display.Begin("deepfloyd-step", 4, "configurations");
        foreach (var model in new[] { "IF-I-M-v1.0", "IF-I-L-v1.0" })
            foreach (var dtype in new[] { "float32", "bfloat16" })
            {
                children.Report(children.Done, $"{model} {dtype}");
                Console.WriteLine(Harness.Child("deepfloyd-step-child", model, dtype));
                children.Advance();
            }
        children.Complete();
    }

    public static void StepChild(string model, string dtypeName)
    {
        var dtype = dtypeName == "bfloat16" ? ScalarType.BFloat16 : ScalarType.Float32;
        var config = IFUNetConfig.Load(ConfigPath(model));
        using var unet = new IFUNet(config, new WeightAllocation(CPU, dtype));
        Randomize(unet, 0);
        unet.eval();
        using var noGrad = no_grad();
        using var x = randn(2, 3, 64, 64).to(dtype);
        using var t = tensor(new long[] { 500, 500 });
        using var text = (randn(2, 77, config.EncoderHidDim) * 0.1).to(dtype);
        using (unet.Forward(x, t, text)) { }
        var times = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            unet.Forward(x, t, text);
            times.Add(sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {model} (inferred config) | {unet.ParameterCount / 1e6:0} M | {dtypeName} | {times.Order().ElementAt(1):0.00} (median of 3) | {Harness.PeakRssMb() / 1024:0.00} GB |"));
    }

    public static void LoadAll(ProgressDisplay display)
    {
        Console.WriteLine($"Machine: {Harness.Machine()}");
        var folder = Path.Combine(Path.GetTempPath(), "dn-bench-if-i-m");
        var unetDir = Path.Combine(folder, "unet");
        Directory.CreateDirectory(unetDir);
        var weights = Path.Combine(unetDir, "diffusion_pytorch_model.fp16.safetensors");
        if (!File.Exists(weights))
        {
            // Written tensor by tensor through a meta model, so the writer itself never holds the whole model.
            var config = IFUNetConfig.Load(ConfigPath("IF-I-M-v1.0"));
            using var meta = new IFUNet(config, WeightAllocation.Meta);
            File.Copy(ConfigPath("IF-I-M-v1.0"), Path.Combine(unetDir, "config.json"), overwrite: true);
            using var cpu = new IFUNet(config, new WeightAllocation(CPU, ScalarType.Float16));
            Randomize(cpu, 1);
            SafetensorsWriter.Save(weights, cpu.state_dict());
        }
        var scheduler = Path.Combine(folder, "scheduler");
        Directory.CreateDirectory(scheduler);
        File.WriteAllText(Path.Combine(scheduler, "scheduler_config.json"), """{"beta_schedule": "squaredcos_cap_v2", "variance_type": "learned_range"}""");
        File.Copy(ConfigPath("IF-I-M-v1.0"), Path.Combine(unetDir, "config.json"), overwrite: true);
        Console.WriteLine($"IF-I-M (inferred config) fp16 weights: {new FileInfo(weights).Length / 1e9:0.00} GB on disk");
        Console.WriteLine("| load into | weights in memory | peak RSS of the process | peak / weights | seconds |");
        Console.WriteLine("|---|---|---|---|---|");
        using var children = display.Begin("deepfloyd-load", 2, "loads");
        foreach (var dtype in new[] { "bfloat16", "float32" })
        {
            children.Report(children.Done, dtype);
            Console.WriteLine(Harness.Child("deepfloyd-load-child", folder, dtype));
            children.Advance();
        }
        children.Complete();
    }

    public static void LoadChild(string folder, string dtypeName)
    {
        double baseline = Harness.RssMb();
        var options = dtypeName == "bfloat16" ? DeepFloydOptions.Bf16 : DeepFloydOptions.Float32;
        var sw = Stopwatch.StartNew();
        using var model = DeepFloydModel.Load(folder, options with { Variant = "fp16" });
        double seconds = sw.Elapsed.TotalSeconds;
        double weightsGb = model.UNet.ParameterCount * (dtypeName == "bfloat16" ? 2 : 4) / 1e9;
        double peakGb = Harness.PeakRssMb() / 1024;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {dtypeName} | {weightsGb:0.00} GB | {peakGb:0.00} GB (runtime + natives before loading: {baseline / 1024:0.00} GB) | {(peakGb - baseline / 1024) / weightsGb:0.00} | {seconds:0.0} |"));
    }
}
