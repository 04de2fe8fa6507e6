// Benchmarks of Diffusion.Net. Results, with the machine and the command, go to docs/performance.md.
//
//   dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- <suite> [arguments]
//   dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- --help            every suite
//   dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- <suite> --help    its arguments
//
// Suites (Commands/BenchmarksCli.cs): roof (default), linear-kernels, mnist-train, mnist-steps, mnist-train-objectives, mnist-memory,
// mnist-samplers, mnist-quality, mnist-compare, mnist-reference-io, deepfloyd-step, deepfloyd-attention, deepfloyd-load, micro.
//
// DN_MKL_IGNORE_VENDOR=1 runs any suite with MklDispatch.IgnoreCpuVendor() applied first (MKL's kernels chosen by
// instruction set on a CPU that is not Intel's).
using Diffusion.Net.Benchmarks.Commands;
using Diffusion.Net.Samples.Cli;

if (Environment.GetEnvironmentVariable("DN_MKL_IGNORE_VENDOR") == "1")
    Console.Error.WriteLine($"MklDispatch.IgnoreCpuVendor(): {Diffusion.Net.Hosting.MklDispatch.IgnoreCpuVendor()}");
return await CliApp.RunAsync(args, BenchmarksCli.RunAsync, progressOnStandardError: true);
