using System.Diagnostics;

namespace Diffusion.Net.Hostile.Tests.Corpus;

/// <summary>Writing case inputs: plain files, FIFOs and symbolic links to special files.</summary>
internal static class Files
{
    public static string Write(string folder, string name, byte[] bytes)
    {
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static string WriteText(string folder, string name, string text) => Write(folder, name, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>A named pipe nobody writes to: opening it for reading blocks forever.</summary>
    public static string Fifo(string folder, string name)
    {
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var p = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("mkfifo failed");
        return path;
    }

    public static string Link(string folder, string name, string target)
    {
        var path = Path.Combine(folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    public static byte[] Seed(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Seeds", name));
}
