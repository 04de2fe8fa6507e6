using System.Globalization;
using System.Text;
using Diffusion.Net.IO;
using Diffusion.Net.Imaging;
using static TorchSharp.torch;

namespace Diffusion.Net.Hostile.Tests.Harness;

/// <summary>
/// The child side of the kill tests: writes the three kinds of output (safetensors, PNG, text) over and over,
/// each one self-describing (its iteration number inside), until it is killed.
/// </summary>
internal static class WriterLoop
{
    public const string Safetensors = "w.safetensors", Png = "w.png", Csv = "w.csv";

    public static int Run(string folder, int iterations)
    {
        for (int i = 0; i < iterations; i++)
        {
            using (var scope = NewDisposeScope())
            {
                SafetensorsWriter.Save(Path.Combine(folder, Safetensors), [new("x", full(1 << 20, (float)i))], new Dictionary<string, string> { ["i"] = I(i) });
                ImageIO.SavePng(full(3, 64, 64, (i % 200) / 100.0 - 1), Path.Combine(folder, Png));
            }
            var text = new StringBuilder();
            for (int k = 0; k < 20_000; k++) text.Append(I(i)).Append('\n');
            text.Append("end\n");
            AtomicFile.WriteAllText(Path.Combine(folder, Csv), text.ToString());
            Console.Out.WriteLine($"WROTE\t{i}");
            Console.Out.Flush();
        }
        return 0;
    }

    private static string I(int i) => i.ToString(CultureInfo.InvariantCulture);
}
