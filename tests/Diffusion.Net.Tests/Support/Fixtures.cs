namespace Diffusion.Net.Tests.Support;

/// <summary>Paths of the copied golden fixtures.</summary>
internal static class Fixtures
{
    public static string Root => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures");

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Scheduler(params string[] parts) => Path(["deepfloyd", "scheduler", .. parts]);
}
