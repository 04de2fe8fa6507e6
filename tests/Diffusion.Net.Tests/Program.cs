namespace Diffusion.Net.Tests;

/// <summary>
/// The child-process entry point, for tests that need a process of their own: <c>dotnet Diffusion.Net.Tests.dll
/// --mkl-dispatch &lt;order&gt;</c> or <c>--native-heap &lt;mode&gt;</c>. The test host loads this assembly as a library and never calls it.
/// </summary>
public static class Program
{
    /// <summary>Runs the child named by the arguments.</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--mkl-dispatch") return MklDispatchChild.Run(args[1]);
        if (args.Length == 2 && args[0] == "--native-heap") return NativeHeapChild.Run(args[1]);
        Console.Error.WriteLine("usage: Diffusion.Net.Tests --mkl-dispatch first|after-matmul|runtime | --native-heap release|run|run-without|keep");
        return 2;
    }
}
