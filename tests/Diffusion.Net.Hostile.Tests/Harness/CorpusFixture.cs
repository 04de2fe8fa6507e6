using System.Diagnostics;
using System.Text;
using Diffusion.Net.Hostile.Tests.Corpus;

namespace Diffusion.Net.Hostile.Tests.Harness;

/// <summary>Runs the whole corpus once (in child processes) for the test class, and writes the counts report.</summary>
public sealed class CorpusFixture
{
    public CorpusFixture()
    {
        var clock = Stopwatch.StartNew();
        Results = new CorpusRunner().Run(HostileCorpus.All.Select(c => c.Id).ToList());
        Elapsed = clock.Elapsed;
        ReportPath = WriteReport();
    }

    public IReadOnlyDictionary<string, CaseResult> Results { get; }

    public TimeSpan Elapsed { get; }

    public string ReportPath { get; }

    /// <summary>Whether an exception is one of the documented types for the case's target.</summary>
    public static bool IsTyped(HostileCase c, CaseResult r)
    {
        if (r.Is("InvalidInputException") || r.Is("FileNotFoundException") || r.Is("DirectoryNotFoundException")) return true;
        if (c.Target.StartsWith("DiffusionPipeline", StringComparison.Ordinal))
            return r.Is("ArgumentException") || r.Is("InvalidOperationException") || r.Is("NotFiniteNumberException");
        // A checkpoint of other training options is refused by the documented InvalidOperationException.
        return c.Target == "DiffusionTrainer resume" && r.Is("InvalidOperationException") && r.Message.Contains("other training options", StringComparison.Ordinal);
    }

    /// <summary>Null when the case ended as required, otherwise why not.</summary>
    public static string? Verdict(HostileCase c, CaseResult? r)
    {
        if (r is null) return "no result (the runner lost it)";
        if (r.IsProcessFailure) return $"{r.Outcome}: {r.Message}";
        if (r.Outcome == "nonfinite") return "returned NaN/∞ without an error";
        if (r.Outcome == "threw" && !IsTyped(c, r)) return $"untyped exception {r.TypeChain}: {r.Message}";
        switch (c.Expect)
        {
            case Expectation.Accept when r.Outcome != "ok":
                return $"expected to load, but threw {r.TypeChain}: {r.Message}";
            case Expectation.Reject when r.Outcome != "threw":
                return "expected a typed rejection, but it loaded";
            case Expectation.Reject when c.RejectWith is { } type && !r.Is(type):
                return $"expected {type}, got {r.TypeChain}: {r.Message}";
        }
        if (r.Outcome == "threw")
        {
            foreach (var f in c.MessageContains ?? []) if (!r.Message.Contains(f, StringComparison.Ordinal)) return $"the message lacks '{f}': {r.Message}";
            foreach (var f in c.MessageExcludes ?? []) if (r.Message.Contains(f, StringComparison.Ordinal)) return $"the message echoes '{f}': {r.Message}";
        }
        return null;
    }

    private string WriteReport()
    {
        var cases = HostileCorpus.All;
        var rows = cases.Select(c => (Case: c, Result: Results.GetValueOrDefault(c.Id))).ToList();
        var sb = new StringBuilder();
        sb.AppendLine("# Hostile-input corpus report").AppendLine();
        sb.AppendLine($"- cases: {rows.Count} ({rows.Count(r => r.Case.Id.StartsWith('D'))} hand-made for issue 20, {rows.Count(r => !r.Case.Id.StartsWith('D'))} mutational and other)");
        sb.AppendLine($"- wall time: {Elapsed.TotalSeconds:0} s on {Environment.ProcessorCount} cores");
        sb.AppendLine($"- crashes: {rows.Count(r => r.Result?.Outcome == "crash")}");
        sb.AppendLine($"- hangs (> 30 s): {rows.Count(r => r.Result?.Outcome == "hang")}");
        sb.AppendLine($"- runs over 2 GB: {rows.Count(r => r.Result?.Outcome == "memory")}");
        sb.AppendLine($"- untyped exceptions: {rows.Count(r => r.Result is { Outcome: "threw" } res && !IsTyped(r.Case, res))}");
        sb.AppendLine($"- NaN/∞ outputs without an error: {rows.Count(r => r.Result?.Outcome == "nonfinite")}");
        sb.AppendLine($"- cases not ending as required: {rows.Count(r => Verdict(r.Case, r.Result) is not null)}");
        sb.AppendLine($"- slowest case: {rows.Max(r => r.Result?.Milliseconds ?? 0)} ms; highest child peak RSS: {rows.Max(r => r.Result?.PeakRssMegabytes ?? 0)} MB").AppendLine();
        sb.AppendLine("| target | cases | loaded | typed rejection | other |").AppendLine("|---|---:|---:|---:|---:|");
        foreach (var g in rows.GroupBy(r => r.Case.Target).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            int ok = g.Count(r => r.Result?.Outcome == "ok"), typed = g.Count(r => r.Result is { Outcome: "threw" } res && IsTyped(r.Case, res));
            sb.AppendLine($"| {g.Key} | {g.Count()} | {ok} | {typed} | {g.Count() - ok - typed} |");
        }
        var failures = rows.Where(r => Verdict(r.Case, r.Result) is not null).ToList();
        if (failures.Count > 0)
        {
            sb.AppendLine().AppendLine("## Failures").AppendLine();
            foreach (var (c, r) in failures) sb.AppendLine($"- `{c.Id}`: {Verdict(c, r)}");
        }
        var folder = FindArtifacts();
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "corpus-report.md");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    private static string FindArtifacts()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Diffusion.Net.sln"))) return Path.Combine(d.FullName, "artifacts", "hostile");
        return Path.Combine(Path.GetTempPath(), "diffusion-net-hostile");
    }
}
