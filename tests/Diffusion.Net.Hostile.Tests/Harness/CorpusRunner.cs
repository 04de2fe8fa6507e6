using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Diffusion.Net.Hostile.Tests.Harness;

/// <summary>
/// Runs corpus cases in child processes (this assembly's own Main), a batch per child, two children at a time.
/// Each case has a wall-clock limit and each child a resident-memory limit, watched from here; a child that
/// crashes, hangs or passes the limit is killed, the running case is recorded as that failure, and the rest of
/// its batch continues in a new child. The managed heap is also capped (<c>DOTNET_GCHeapHardLimit</c>) so a
/// managed bomb fails fast inside the child. No case can take the test run down with it.
/// </summary>
public sealed class CorpusRunner
{
    /// <summary>A case running longer than this is a hang.</summary>
    public TimeSpan CaseTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A child whose resident memory passes this is killed (the target: nothing above 2 GB).</summary>
    public long MemoryLimitBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>Cases per child process.</summary>
    public int BatchSize { get; init; } = 150;

    /// <summary>Children run at once.</summary>
    public int Parallelism { get; init; } = Math.Clamp(Environment.ProcessorCount, 1, 2);

    /// <summary>Runs every case and returns the results by id.</summary>
    public IReadOnlyDictionary<string, CaseResult> Run(IReadOnlyList<string> ids)
    {
        var results = new ConcurrentDictionary<string, CaseResult>(StringComparer.Ordinal);
        var batches = ids.Chunk(BatchSize).ToList();
        Parallel.ForEach(batches, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, batch =>
        {
            var remaining = batch.ToList();
            while (remaining.Count > 0)
            {
                var done = RunChild(remaining, results);
                remaining = remaining.Skip(done).ToList();
            }
        });
        return results;
    }

    /// <summary>Runs one child over <paramref name="ids"/>; returns how many of them it settled (the failed case included).</summary>
    private int RunChild(List<string> ids, ConcurrentDictionary<string, CaseResult> results)
    {
        var list = Path.GetTempFileName();
        File.WriteAllLines(list, ids);
        var assembly = typeof(CorpusRunner).Assembly.Location;
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add("--run");
        start.ArgumentList.Add(list);
        start.Environment["DOTNET_GCHeapHardLimit"] = "0x" + MemoryLimitBytes.ToString("X", CultureInfo.InvariantCulture);
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["OMP_NUM_THREADS"] = "1";
        start.Environment["MKL_NUM_THREADS"] = "1";
        int settled = 0;
        string? current = null;
        var caseClock = Stopwatch.StartNew();
        string? killedFor = null;
        var stderr = new System.Text.StringBuilder();
        using var process = new Process { StartInfo = start };
        var gate = new object();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            var f = e.Data.Split('\t');
            lock (gate)
            {
                if (f[0] == "START" && f.Length >= 2) { current = f[1]; caseClock.Restart(); }
                else if (f[0] == "END" && f.Length >= 7)
                {
                    results[f[1]] = new CaseResult(f[1], f[2], f[3], long.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture), f[6]);
                    current = null;
                    settled++;
                }
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) { if (stderr.Length < 4000) stderr.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        while (!process.WaitForExit(100))
        {
            long rss;
            try { process.Refresh(); rss = process.WorkingSet64; }
            catch (InvalidOperationException) { break; }
            lock (gate)
            {
                if (rss > MemoryLimitBytes) killedFor = "memory";
                else if (current is not null && caseClock.Elapsed > CaseTimeout) killedFor = "hang";
                else if (current is null && caseClock.Elapsed > CaseTimeout + TimeSpan.FromSeconds(60)) killedFor = "hang";
            }
            if (killedFor is not null)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                process.WaitForExit();
                break;
            }
        }
        process.WaitForExit();
        File.Delete(list);
        lock (gate)
        {
            if (settled < ids.Count)
            {
                // The case in flight (or, if the child died between cases, the next one) takes the blame.
                var failed = current ?? ids[settled];
                string outcome = killedFor ?? "crash";
                string message = killedFor switch
                {
                    "memory" => $"killed: resident memory passed {MemoryLimitBytes >> 20} MB",
                    "hang" => $"killed: ran past {CaseTimeout.TotalSeconds:0} s",
                    _ => $"the child exited with code {process.ExitCode}: {stderr.ToString().Replace('\n', ' ')}",
                };
                results[failed] = new CaseResult(failed, outcome, "", (long)caseClock.Elapsed.TotalMilliseconds, MemoryLimitBytes >> 20, message);
                settled++;
            }
        }
        return settled;
    }
}
