using System.Diagnostics;
using Diffusion.Net.Hostile.Tests.Corpus;
using Diffusion.Net.Pipelines;
using SixLabors.ImageSharp;
using static TorchSharp.torch;

namespace Diffusion.Net.Hostile.Tests.Harness;

/// <summary>
/// The child side: runs cases in order, each in a fresh folder, and prints <c>START id</c> before and an
/// <c>END</c> record after each one, flushed at once, so the parent knows which case was running if the process
/// crashes, hangs or is killed for memory.
/// </summary>
internal static class ChildRunner
{
    public static int Run(IEnumerable<string> ids)
    {
        var cases = HostileCorpus.All.Concat(SelfTestCases.All).ToDictionary(c => c.Id, StringComparer.Ordinal);
        var root = Directory.CreateTempSubdirectory("dn-hostile-");
        try
        {
            foreach (var id in ids.Where(i => i.Length > 0))
            {
                var c = cases[id];
                var folder = Path.Combine(root.FullName, Sanitize(id));
                Directory.CreateDirectory(folder);
                Console.Out.WriteLine($"START\t{id}");
                Console.Out.Flush();
                var clock = Stopwatch.StartNew();
                string outcome, type = "", message = "";
                try
                {
                    var result = c.Run(folder);
                    outcome = IsFinite(result) ? "ok" : "nonfinite";
                    DisposeResult(result);
                }
                catch (Exception e)
                {
                    outcome = "threw";
                    type = TypeChain(e);
                    message = e.Message;
                }
                clock.Stop();
                GC.Collect();
                TryDelete(folder);
                long peak = PeakRssMegabytes();
                Console.Out.WriteLine($"END\t{id}\t{outcome}\t{type}\t{clock.ElapsedMilliseconds}\t{peak}\t{OneLine(message)}");
                Console.Out.Flush();
            }
            return 0;
        }
        finally
        {
            TryDelete(root.FullName);
        }
    }

    /// <summary>The exception's type and its bases, most derived first, separated by '&lt;'.</summary>
    private static string TypeChain(Exception e)
    {
        var names = new List<string>();
        for (var t = e.GetType(); t is not null && t != typeof(object); t = t.BaseType) names.Add(t.Name);
        return string.Join("<", names);
    }

    private static bool IsFinite(object? result) => result switch
    {
        Tensor t => !t.is_floating_point() || t.numel() == 0 || t.isfinite().all().item<bool>(),
        DiffusionResult r => IsFinite(r.Sample),
        IEnumerable<KeyValuePair<string, Tensor>> d => d.All(kv => IsFinite(kv.Value)),
        IEnumerable<(string, Tensor)> l => l.All(kv => IsFinite(kv.Item2)),
        _ => true,
    };

    private static void DisposeResult(object? result)
    {
        switch (result)
        {
            case IEnumerable<KeyValuePair<string, Tensor>> d: foreach (var kv in d) kv.Value.Dispose(); break;
            case IEnumerable<(string, Tensor)> l: foreach (var kv in l) kv.Item2.Dispose(); break;
        }
        (result as IDisposable)?.Dispose();
    }

    private static long PeakRssMegabytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException) { }
        return (long)(Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024));
    }

    private static string OneLine(string s) => s.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');

    private static string Sanitize(string id) => new(id.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray());

    private static void TryDelete(string path)
    {
        try { if (Directory.Exists(path)) Directory.Delete(path, true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
