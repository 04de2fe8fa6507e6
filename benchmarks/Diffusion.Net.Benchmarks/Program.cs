// Benchmarks of Diffusion.Net. Results, with the machine and the command, go to docs/performance.md.
//
//   dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- <suite> [arguments]
//   dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- --help            every suite
//   dotnet run -c Release --project benchmarks/Diffusion.Net.Benchmarks -- <suite> --help    its arguments
//
// Suites (Commands/BenchmarksCli.cs): roof (default), linear-kernels, mnist-train, mnist-steps, mnist-train-objectives, mnist-memory,
// mnist-samplers, mnist-quality, mnist-compare, mnist-reference-io, deepfloyd-step, deepfloyd-attention, deepfloyd-load, micro.
using Diffusion.Net.Benchmarks.Commands;
using Diffusion.Net.Samples.Cli;

return await CliApp.RunAsync(args, BenchmarksCli.RunAsync, progressOnStandardError: true);
