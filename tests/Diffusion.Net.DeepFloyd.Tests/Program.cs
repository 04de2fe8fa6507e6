namespace Diffusion.Net.DeepFloyd.Tests;

/// <summary>
/// The child-process entry point, for tests that need a process of their own: <c>dotnet Diffusion.Net.DeepFloyd.Tests.dll
/// --t5-pack &lt;layers&gt;</c>. The test host loads this assembly as a library and never calls it.
/// </summary>
public static class Program
{
    /// <summary>Runs the child named by the arguments.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--t5-pack" && int.TryParse(args[1], out int layers) && layers > 0) return T5PackChild.Run(layers);
        Console.Error.WriteLine("usage: Diffusion.Net.DeepFloyd.Tests --t5-pack <layers>");
        return 2;
    }
}
