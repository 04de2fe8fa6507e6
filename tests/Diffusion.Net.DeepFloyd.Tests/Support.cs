namespace Diffusion.Net.DeepFloyd.Tests;

internal static class Fixtures
{
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);
}

/// <summary>
/// Where this package's libtorch (TorchSharp 0.107's Linux x64 build) runs: it exports MKL's packed GEMM and is built
/// with oneDNN, so weight packing applies; elsewhere the tests check that nothing changes.
/// </summary>
internal static class Platform
{
    public static bool PacksWeights => OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;
}
