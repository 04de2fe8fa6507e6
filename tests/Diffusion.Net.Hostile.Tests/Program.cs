using Diffusion.Net.Hostile.Tests.Harness;

namespace Diffusion.Net.Hostile.Tests;

/// <summary>
/// The child-process entry point: <c>dotnet Diffusion.Net.Hostile.Tests.dll --run &lt;case-list-file&gt;</c> runs the listed
/// corpus cases one after another and reports each on stdout. The test host loads this assembly as a library and
/// never calls it.
/// </summary>
public static class Program
{
    /// <summary>Runs the cases listed in the file named by the second argument.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--run") return ChildRunner.Run(File.ReadAllLines(args[1]));
        if (args.Length == 3 && args[0] == "--write") return WriterLoop.Run(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture));
        Console.Error.WriteLine("usage: Diffusion.Net.Hostile.Tests --run <file with one case id per line> | --write <folder> <iterations>");
        return 2;
    }
}
