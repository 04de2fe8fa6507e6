using System.Globalization;

namespace Diffusion.Net.Samples.Cli;

/// <summary>The words and numbers of a progress report, the same in a live bar and in a plain log line.</summary>
internal static class ProgressText
{
    /// <summary>A count of units: whole numbers as they are, a fractional count (a run part-way through) rounded down.</summary>
    public static string Count(double units) => Math.Floor(units + 1e-9).ToString("0", CultureInfo.InvariantCulture);

    /// <summary>A rate such as "12.3 steps/s" (three significant digits), or "- steps/s" before it is known.</summary>
    public static string Rate(double? perSecond, string unit) => perSecond switch
    {
        null => $"- {unit}/s",
        >= 100 => string.Create(CultureInfo.InvariantCulture, $"{perSecond:0} {unit}/s"),
        >= 10 => string.Create(CultureInfo.InvariantCulture, $"{perSecond:0.0} {unit}/s"),
        >= 0.01 => string.Create(CultureInfo.InvariantCulture, $"{perSecond:0.00} {unit}/s"),
        // Slower than one unit a minute and a half: per-unit time reads better.
        _ => string.Create(CultureInfo.InvariantCulture, $"{1 / perSecond.Value:0} s per {Singular(unit)}"),
    };

    /// <summary>A duration as m:ss below an hour, h:mm:ss above.</summary>
    public static string Duration(TimeSpan time)
    {
        if (time < TimeSpan.Zero) time = TimeSpan.Zero;
        long seconds = (long)Math.Round(time.TotalSeconds);
        return seconds >= 3600
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}:{seconds / 60 % 60:00}:{seconds % 60:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}:{seconds % 60:00}");
    }

    /// <summary>A percentage such as "40%" (floored, so 100% means done).</summary>
    public static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(fraction * 100 + 1e-9):0}%");

    /// <summary>
    /// The plain-log line of a phase in progress:
    /// <c>  training: 40% (1876/4690 steps), 12.3 steps/s, ETA 3:48; epoch 2/5, loss 0.01234</c>.
    /// </summary>
    public static string InProgress(ProgressPhase phase)
    {
        var detail = phase.Detail is { Length: > 0 } d ? "; " + d : "";
        if (phase.Total is not { } total)
            return $"  {phase.Description}: {Count(phase.Done)} {phase.Unit}, {Duration(phase.Elapsed)} elapsed{detail}";
        var eta = phase.Remaining is { } left ? "ETA " + Duration(left) : "ETA -";
        return $"  {phase.Description}: {Percent(phase.Fraction ?? 0)} ({Count(phase.Done)}/{Count(total)} {phase.Unit}), {Rate(phase.Rate, phase.Unit)}, {eta}{detail}";
    }

    /// <summary>The line of a completed phase: <c>  training: 100% (4690 steps) in 6:20, 12.3 steps/s; loss 0.0123</c>.</summary>
    public static string Completed(ProgressPhase phase)
    {
        var detail = phase.Detail is { Length: > 0 } d ? "; " + d : "";
        var amount = phase.Total is { } total ? $"100% ({Count(total)} {phase.Unit})" : $"done ({Count(phase.Done)} {phase.Unit})";
        return $"  {phase.Description}: {amount} in {Duration(phase.Elapsed)}, {Rate(phase.Rate, phase.Unit)}{detail}";
    }

    private static string Singular(string unit) => unit.EndsWith('s') ? unit[..^1] : unit;
}
