// Benchmarks of Diffusion.Net. Results, with the machine and the command, go to docs/performance.md.
//
//   dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- <suite>
//
//   roof             fp32 and bf16 GEMM throughput (2048² matmul), the roof for the others
//   mnist-train      CS180 class-conditioned UNet (D = 64, batch 128) training throughput, fp32 and bf16, against the roof and its analytic FLOPs
//   mnist-steps nchw|nhwc fp32|bf16 [STEPS]  a few D = 64 training steps, for ONEDNN_VERBOSE=1 and tools/onednn_profile.py
//   mnist-train-objectives [ROUNDS] [STEPS]  training images/s of the quick recipe by ε-prediction and by flow matching, alternating
//   mnist-memory [STEPS] [SAMPLER]  RSS over 10,000 UNet steps of sampling with a MnistSampler (ddpm, dpm++2m-10, …; must stay flat)
//   mnist-samplers MODEL [D] [N] [SEEDS] [ROUNDS] [SAMPLER[@γ][:time]...]  quality against model evaluations and seconds per 100 digits
//                    of every sampler row (a DDPM or a flow model, read from the file; @γ: another guidance scale than 5)
//   mnist-quality MODEL [D] [N]  agreement and feature distance of B.4 samples of a trained class-conditioned UNet under sampling variants
//   mnist-compare D N SEEDS [--limited] [--threshold Q] MODEL...  the main job's sampling (B.4, or CFG limited to t ≤ 150; x̂_0 clamped, or dynamically thresholded) of several trained class-conditioned UNets at several seeds (mean ± sd)
//   mnist-reference-io DIR [MODEL]  weights and one forward pass of the class-conditioned UNet, for tools/pytorch_reference/check_mnist_unet.py
//   deepfloyd-step   one IF stage-I UNet step at 64×64, batch 2, IF-I-M and IF-I-L sizes, fp32 and bf16, random weights (one child process each)
//   deepfloyd-load   peak memory of loading IF-I-M fp16 safetensors into bf16 and fp32 (one child process each)
//   micro            BenchmarkDotNet micro-benchmarks of the core (in-process toolchain)
//
// BenchmarkDotNet runs in-process: its default toolchain builds a generated project that would not import this
// repository's Directory.Build.targets (the TorchSharp load fix).
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Diffusion.Net.Benchmarks;

var suite = args.Length > 0 ? args[0] : "roof";
switch (suite)
{
    case "micro":
        var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableOptimizationsValidator);
        BenchmarkSwitcher.FromAssembly(typeof(CoreBenchmarks).Assembly).Run(args[1..], config);
        break;
    case "roof": Harness.Roof(); break;
    case "mnist-train": await MnistBenchmarks.TrainingThroughputAsync(); break;
    case "mnist-train-objectives": await MnistBenchmarks.ObjectiveThroughputAsync(args.Length > 1 ? int.Parse(args[1]) : 3, args.Length > 2 ? int.Parse(args[2]) : 60); break;
    case "mnist-steps": await MnistBenchmarks.TrainingStepsAsync(args[1], args[2], args.Length > 3 ? int.Parse(args[3]) : 12); break;
    case "mnist-memory": await MnistBenchmarks.MemoryFlatnessAsync(args.Length > 1 ? int.Parse(args[1]) : 10_000, args.Length > 2 ? args[2] : "ddpm"); break;
    case "mnist-samplers":
        await MnistBenchmarks.SamplerRowsAsync(args[1], args.Length > 2 ? int.Parse(args[2]) : 32, args.Length > 3 ? int.Parse(args[3]) : 1000,
            args.Length > 4 ? int.Parse(args[4]) : 3, args.Length > 5 ? int.Parse(args[5]) : 3,
            args.Length > 6 ? args[6..] : ["ddpm", "ddim-50", "ddim-20", "ddim-10", "dpm++2m-20", "dpm++2m-10", "unipc-10", "heun-10"]);
        break;
    case "mnist-quality": await MnistBenchmarks.SamplingQualityAsync(args[1], args.Length > 2 ? int.Parse(args[2]) : 32, args.Length > 3 ? int.Parse(args[3]) : 200); break;
    case "mnist-compare": await MnistBenchmarks.CompareModelsAsync(int.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3]), args[4..]); break;
    case "mnist-reference-io": MnistBenchmarks.ReferenceIo(args[1], args.Length > 2 ? args[2] : null); break;
    case "deepfloyd-step": DeepFloydBenchmarks.StepAll(); break;
    case "deepfloyd-step-child": DeepFloydBenchmarks.StepChild(args[1], args[2]); break;
    case "deepfloyd-load": DeepFloydBenchmarks.LoadAll(); break;
    case "deepfloyd-load-child": DeepFloydBenchmarks.LoadChild(args[1], args[2]); break;
    default: Console.Error.WriteLine($"Unknown suite '{suite}'."); return 2;
}
return 0;
