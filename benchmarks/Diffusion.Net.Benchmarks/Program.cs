// Benchmarks of Diffusion.Net. Results, with the machine and the command, go to docs/performance.md.
//
//   dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- --filter '*'
//
// BenchmarkDotNet runs in-process: its default toolchain builds a generated project that would not import this
// repository's Directory.Build.targets (the TorchSharp load fix).
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
