// CS180 Part B on MNIST with Diffusion.Net.
//
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.Mnist                 the main job (quick preset)
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.Mnist -- <command> [options]
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.Mnist -- --help       every command and option
//
// Commands: main (default) | noising | denoiser | pure-noise | time | class | all (MnistCli.cs; options in MnistSettings.cs).
using Diffusion.Net.Samples.Cli;
using Diffusion.Net.Samples.Mnist;

return await CliApp.RunAsync(args, MnistCli.RunAsync);
