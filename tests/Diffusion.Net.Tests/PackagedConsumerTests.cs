using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using Diffusion.Net.Pipelines;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace Diffusion.Net.Tests;

/// <summary>
/// The TorchSharp load fix travels with the package: a fresh application outside this repository, referencing
/// only the packed Diffusion.Net from a local feed, runs a tensor operation on this OS. The NuGet cache copy of the
/// native library is left untouched.
/// </summary>
[Collection(nameof(PackagedConsumerTests))]
[CollectionDefinition(nameof(PackagedConsumerTests), DisableParallelization = true)]
public sealed class PackagedConsumerTests(ITestOutputHelper output)
{
    [Fact]
    public void FreshConsumer_ReferencingThePackedPackage_RunsATensorOp()
    {
        var repo = FindRepoRoot();
        var configuration = typeof(DiffusionPipeline).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var work = Directory.CreateTempSubdirectory("dn-consumer").FullName;
        try
        {
            var feed = Path.Combine(work, "feed");
            var app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            var version = $"0.0.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

            // Not --no-build: the package holds net8.0 and net10.0, and the test run built only net10.0.
            Run(repo, "dotnet", $"pack src/Diffusion.Net/Diffusion.Net.csproj -c {configuration} -o \"{feed}\" -p:Version={version}");
            File.Exists(Path.Combine(feed, $"Diffusion.Net.{version}.nupkg")).Should().BeTrue();

            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Diffusion.Net" Version="{version}" />
                    <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using Diffusion.Net.Schedules;
                using TorchSharp;
                using var x = torch.ones(3) * 2;
                var schedule = NoiseSchedules.SquaredCosCapV2();
                Console.WriteLine($"sum={x.sum().item<float>()} abar250={schedule.AlphaBar(250):0.0000}");
                """);

            var stdout = Run(app, "dotnet", "run -c Release");
            stdout.Should().Contain("sum=6 abar250=0.8459");

            if (OperatingSystem.IsLinux())
            {
                var cached = Directory.GetFiles(NuGetCache(), "libLibTorchSharp.so", SearchOption.AllDirectories)
                    .Where(p => p.Contains($"{Path.DirectorySeparatorChar}torchsharp{Path.DirectorySeparatorChar}0.107.0", StringComparison.OrdinalIgnoreCase)).ToList();
                var copied = Directory.GetFiles(Path.Combine(app, "bin"), "libLibTorchSharp.so", SearchOption.AllDirectories);
                copied.Should().NotBeEmpty();
                foreach (var c in cached) WeakFlagOf(c).Should().BeFalse("the NuGet cache is never modified");
                foreach (var c in copied) WeakFlagOf(c).Should().BeTrue("the application gets the patched copy");
            }
        }
        finally
        {
            try { Directory.Delete(work, true); } catch (IOException) { }
        }
    }

    private string Run(string directory, string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The test host's MSBuild variables would leak into the child builds.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(psi)!;
        var stdoutTask = process.StandardOutput.ReadToEndAsync();
        var stderrTask = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10))) { process.Kill(true); throw new TimeoutException($"{file} {arguments} took over 10 minutes."); }
        var stdout = stdoutTask.Result;
        output.WriteLine($"$ {file} {arguments}\n{stdout}\n{stderrTask.Result}");
        process.ExitCode.Should().Be(0, $"'{file} {arguments}' must succeed:\n{stdout}\n{stderrTask.Result}");
        return stdout;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Diffusion.Net.sln"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (Diffusion.Net.sln) was not found above the test binaries.");
    }

    private static string NuGetCache()
        => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>Whether the GLIBCXX_3.4.32 version need of an ELF file is marked weak (reads .gnu.version_r).</summary>
    private static bool WeakFlagOf(string path)
    {
        var data = File.ReadAllBytes(path);
        long shoff = BitConverter.ToInt64(data, 0x28);
        int shentsize = BitConverter.ToUInt16(data, 0x3A), shnum = BitConverter.ToUInt16(data, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = (int)(shoff + i * shentsize);
            if (BitConverter.ToUInt32(data, sh + 4) != 0x6ffffffe) continue;
            long off = BitConverter.ToInt64(data, sh + 0x18);
            int strSh = (int)(shoff + BitConverter.ToUInt32(data, sh + 0x28) * shentsize);
            long strOff = BitConverter.ToInt64(data, strSh + 0x18);
            for (long vn = off; ; )
            {
                int cnt = BitConverter.ToUInt16(data, (int)vn + 2);
                long va = vn + BitConverter.ToUInt32(data, (int)vn + 8);
                for (int k = 0; k < cnt; k++)
                {
                    int name = (int)(strOff + BitConverter.ToUInt32(data, (int)va + 8));
                    int end = Array.IndexOf(data, (byte)0, name);
                    if (System.Text.Encoding.ASCII.GetString(data, name, end - name) == "GLIBCXX_3.4.32")
                        return (BitConverter.ToUInt16(data, (int)va + 4) & 2) != 0;
                    va += BitConverter.ToUInt32(data, (int)va + 12);
                }
                uint next = BitConverter.ToUInt32(data, (int)vn + 12);
                if (next == 0) break;
                vn += next;
            }
        }
        throw new InvalidOperationException($"{path} has no GLIBCXX_3.4.32 version need.");
    }
}
