// CS180 Part A with Diffusion.Net.
//
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.PartA                         every Part A sheet on MNIST
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.PartA -- measure [--samples N] the Part A rates on MNIST
//   dotnet run -c Release --project samples/Diffusion.Net.Samples.PartA -- deepfloyd --stage1 DIR [--stage2 DIR] --embeddings FILE
//
// Options: --out DIR (default out/part-a)  --seed N (default 180)  --model FILE (a class-conditioned MNIST checkpoint, DDPM or flow)
//          --objective ddpm|flow (the model to train when no --model is given: the main job's quick or quick-flow preset)
using System.Globalization;
using Diffusion.Net.Samples.PartA;

var options = PartAOptions.Parse(args);
if (options is null) return 2;
try
{
    return options.Command switch
    {
        "deepfloyd" => DeepFloydSheets.Run(options),
        "measure" => await MnistSheets.MeasureAsync(options),
        _ => await MnistSheets.RunAsync(options),
    };
}
catch (Exception e) when (e is DeepFloydMissingException)
{
    Console.Error.WriteLine(e.Message);
    return 3;
}

/// <summary>The command line.</summary>
internal sealed record PartAOptions
{
    public string Command { get; init; } = "mnist";
    public string Output { get; init; } = Path.Combine("out", "part-a");
    public long Seed { get; init; } = 180;
    public string? Model { get; init; }
    public string? Stage1 { get; init; }
    public string? Stage2 { get; init; }
    public string? Embeddings { get; init; }
    public int Samples { get; init; } = 100;
    public bool Bf16 { get; init; }
    public bool Flow { get; init; }

    public static PartAOptions? Parse(string[] args)
    {
        var o = new PartAOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            try
            {
                switch (args[i])
                {
                    case "mnist" or "measure" or "deepfloyd": o = o with { Command = args[i] }; break;
                    case "--out": o = o with { Output = Next() }; break;
                    case "--seed": o = o with { Seed = long.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                    case "--model": o = o with { Model = Next() }; break;
                    case "--stage1": o = o with { Stage1 = Next() }; break;
                    case "--stage2": o = o with { Stage2 = Next() }; break;
                    case "--embeddings": o = o with { Embeddings = Next() }; break;
                    case "--samples": o = o with { Samples = int.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                    case "--bf16": o = o with { Bf16 = true }; break;
                    case "--objective":
                        o = o with { Flow = Next() switch { "flow" => true, "ddpm" => false, var n => throw new ArgumentException($"Unknown objective '{n}' (ddpm, flow).") } };
                        break;
                    default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                Console.Error.WriteLine(e.Message);
                Console.Error.WriteLine("usage: [mnist|measure|deepfloyd] [--out DIR] [--seed N] [--model FILE] [--samples N] [--stage1 DIR] [--stage2 DIR] [--embeddings FILE] [--bf16] [--objective ddpm|flow]");
                return null;
            }
        }
        return o;
    }
}
