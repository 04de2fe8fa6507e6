using System.Globalization;
using Diffusion.Net.DeepFloyd.Text;
using Diffusion.Net.Hosting;
using Diffusion.Net.Testing;
using static TorchSharp.torch;

namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// Packs a T5 encoder whose weights are resident, in a process of its own, and prints its resident set before and after
/// with the bytes of the weights that packing released (<c>key=value</c> lines, read by <see cref="T5PackedWeightsTests"/>).
/// </summary>
internal static class T5PackChild
{
    public static int Run(int layers)
    {
        var config = new T5Config { VocabSize = 64, DModel = 512, DKv = 64, NumHeads = 8, DFf = 1536, NumLayers = layers };
        using var model = new T5EncoderModel(config);
        var generator = new TorchSharp.torch.Generator(1);
        using (no_grad())
            foreach (var (_, p) in model.named_parameters()) p.normal_(0, 0.02, generator);
        model.eval();
        long parameters = model.ParameterCount;
        long before = ResidentSet.Bytes();
        bool packed = model.PackLinearWeights();
        long after = ResidentSet.Bytes();
        long released = (parameters - model.ParameterCount) * sizeof(float);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"before={before}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after={after}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"released={released}"));
        Console.WriteLine($"packed={packed}");
        Console.WriteLine($"allocator={NativeHeap.Allocator}");
        return 0;
    }
}
