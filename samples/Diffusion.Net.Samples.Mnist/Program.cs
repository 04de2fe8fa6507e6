// CS180 Part B on MNIST with Diffusion.Net.
//
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.Mnist                 the main job (quick preset)
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.Mnist -- <command> [options]
//
// Commands: main (default) | noising | denoiser | pure-noise | time | class | all
// Options:  --out DIR (default out/mnist)  --preset quick|cs180  --epochs N  --hidden D  --precision fp32|bf16
//           --seed N  --eval-samples N  --mnist DIR  --fresh (ignore existing checkpoints)
//           --batch N  --lr RATE  --ema DECAY|off  --objective ddpm|flow  --sampler NAME
using System.Diagnostics;
using System.Globalization;
using Diffusion.Net.Mnist.Data;
using Diffusion.Net.Samples.Mnist;

var options = SampleOptions.Parse(args);
if (options is null) return 2;
var clock = Stopwatch.StartNew();
var reporter = new ConsoleReporter();
Console.WriteLine($"Diffusion.Net MNIST — command '{options.Command}', output '{Path.GetFullPath(options.Output)}'");

var source = new MnistSourceOptions { Directory = options.MnistDirectory };
var fetchClock = Stopwatch.StartNew();
var train = await MnistDataset.LoadAsync(MnistSplit.Train, source, reporter);
var test = await MnistDataset.LoadAsync(MnistSplit.Test, source, reporter);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"MNIST: {train.Count} training and {test.Count} test digits ({fetchClock.Elapsed.TotalSeconds:0.0} s)"));
var work = Stopwatch.StartNew();

var figures = new PartBFigures(train, test, options, reporter);
switch (options.Command)
{
    case "main": await figures.MainJobAsync(); break;
    case "noising": figures.Noising(); break;
    case "denoiser": figures.Denoiser(); break;
    case "pure-noise": figures.PureNoiseDenoiser(); break;
    case "time": figures.TimeConditioned(); break;
    case "class": await figures.ClassConditionedAsync(evaluate: true); break;
    case "all":
        figures.Noising();
        figures.Denoiser();
        if (options.Objective == Diffusion.Net.Mnist.Models.MnistObjective.Flow) figures.PureNoiseDenoiser();
        figures.TimeConditioned();
        await figures.ClassConditionedAsync(evaluate: true);
        break;
}
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Done in {clock.Elapsed.TotalMinutes:0.0} min ({work.Elapsed.TotalMinutes:0.0} min after fetching MNIST). Pictures in {Path.GetFullPath(options.Output)}"));
return 0;
