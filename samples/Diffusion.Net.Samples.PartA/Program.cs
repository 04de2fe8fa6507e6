// CS180 Part A with Diffusion.Net.
//
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.PartA                         every Part A sheet on MNIST
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.PartA -- measure [--samples N] the Part A rates on MNIST
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.PartA -- deepfloyd --stage1 DIR [--stage2 DIR] --embeddings FILE
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.PartA -- --help                every command and option
using Diffusion.Net.Samples.Cli;
using Diffusion.Net.Samples.PartA;

return await CliApp.RunAsync(args, PartACli.RunAsync);
