using System.Diagnostics;
using Diffusion.Net.Hostile.Tests.Harness;
using Diffusion.Net.Imaging;
using Diffusion.Net.IO;
using FluentAssertions;
using Xunit;

namespace Diffusion.Net.Hostile.Tests;

/// <summary>
/// Issue 20 #15 and the kill-and-resume guarantee extended to the output writers: a child writing safetensors,
/// PNG and text files in a loop is killed with SIGKILL at random moments; every destination is then absent or a
/// complete file of one iteration, never a torn one, and the next write removes the killed writer's temporary files.
/// </summary>
public sealed class WriterKillTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dn-kill-").FullName;

    [Fact]
    public void KilledWriters_LeaveOnlyCompleteFiles_AndTheNextWriteRemovesTheirTemporaries()
    {
        var random = new Random(20);
        int kills = 0, tempsSeen = 0;
        for (int round = 0; round < 12; round++)
        {
            using var child = Start(1_000_000);
            // Wait for the first completed iteration (the runtime and libtorch are loaded), then kill mid-stream.
            child.StandardOutput.ReadLine().Should().StartWith("WROTE");
            Thread.Sleep(random.Next(0, 400));
            child.Kill();
            child.WaitForExit();
            kills++;
            tempsSeen += Directory.GetFiles(_dir, ".*.tmp").Length;
            CheckComplete();
        }
        using (var last = Start(1))
        {
            last.WaitForExit(120_000).Should().BeTrue();
            last.ExitCode.Should().Be(0, last.StandardError.ReadToEnd());
        }
        CheckComplete();
        Directory.GetFiles(_dir, ".*.tmp").Should().BeEmpty($"the write after {kills} kills removes the dead writers' temporary files ({tempsSeen} seen after kills)");
    }

    [Fact]
    public void FailedWrite_NamesTheDestination_NotTheTemporaryFile_AndKeepsThePreviousFile()
    {
        var path = Path.Combine(_dir, "out.txt");
        AtomicFile.WriteAllText(path, "previous");
        var error = FluentActions.Invoking(() => AtomicFile.Write(path, s => throw new IOException($"No space left on device : '{((FileStream)s).Name}'"))).Should().Throw<IOException>().Which;
        // .NET names the file it was writing, the hidden temporary; the user knows only the destination.
        error.Message.Should().NotContain(".tmp").And.Contain(path).And.Contain("No space left");
        File.ReadAllText(path).Should().Be("previous");
        Directory.GetFiles(_dir, ".*.tmp").Should().BeEmpty();
    }

    [Fact]
    public void StaleTemporaryOfADeadWriter_IsRemoved_ButALiveWritersIsKept()
    {
        var dest = Path.Combine(_dir, "a.bin");
        var dead = Path.Combine(_dir, $".a.bin.{int.MaxValue - 1}.{Guid.NewGuid():N}.tmp");
        var live = Path.Combine(_dir, $".a.bin.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(dead, "x");
        File.WriteAllText(live, "x");
        AtomicFile.WriteAllText(dest, "new");
        File.Exists(dead).Should().BeFalse("its process does not exist");
        File.Exists(live).Should().BeTrue("this process may still be writing it");
    }

    private void CheckComplete()
    {
        var st = Path.Combine(_dir, WriterLoop.Safetensors);
        if (File.Exists(st))
        {
            using var file = SafetensorsFile.Open(st);
            float expected = float.Parse(file.Metadata["i"], System.Globalization.CultureInfo.InvariantCulture);
            using var x = file.Read("x");
            x.eq(expected).all().item<bool>().Should().BeTrue("the tensor and its metadata come from one write");
        }
        var png = Path.Combine(_dir, WriterLoop.Png);
        if (File.Exists(png)) ImageIO.Load(png).Dispose();
        var csv = Path.Combine(_dir, WriterLoop.Csv);
        if (File.Exists(csv))
        {
            var lines = File.ReadAllLines(csv);
            lines[^1].Should().Be("end");
            lines[..^1].Distinct().Should().HaveCount(1);
        }
    }

    private Process Start(int iterations)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(WriterLoop).Assembly.Location);
        start.ArgumentList.Add("--write");
        start.ArgumentList.Add(_dir);
        start.ArgumentList.Add(iterations.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.Environment["OMP_NUM_THREADS"] = "1";
        return Process.Start(start)!;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
