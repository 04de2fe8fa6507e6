// A tour of Diffusion.Net's core on a model that needs no training: the exact (memorising) denoiser of five
// photos at 64×64, on DeepFloyd IF's cosine schedule and CS180's strided timesteps. Writes labelled PNG sheets.
//
//   dotnet run --project samples/Diffusion.Net.Samples.Tour [-- <output folder>]      (-- --help for the options)
using Diffusion.Net.Samples.Cli;
using Diffusion.Net.Samples.Tour;

return await CliApp.RunAsync(args, TourCli.RunAsync);
