using System.Diagnostics;
using FluentAssertions;

namespace Diffusion.Net.Testing;

/// <summary>
/// Runs the calling test assembly as a child process (its own <c>Main</c>, in a project with
/// <c>GenerateProgramFile</c> off) and reads its <c>key=value</c> lines.
/// </summary>
internal static class TestChildProcess
{
    public static Dictionary<string, string> Run(string option, string argument, string because, IReadOnlyDictionary<string, string>? environment = null, int timeoutMs = 60_000)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(TestChildProcess).Assembly.Location);
        start.ArgumentList.Add(option);
        start.ArgumentList.Add(argument);
        start.Environment["OMP_NUM_THREADS"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEnd();
        child.WaitForExit(timeoutMs).Should().BeTrue(because);
        child.ExitCode.Should().Be(0, stderr.Result);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }
}
