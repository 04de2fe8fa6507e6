using Spectre.Console;
using Spectre.Console.Rendering;

namespace Diffusion.Net.Samples.Cli;

/// <summary>The live bar's last column: "1876/4690 steps  12.3 steps/s  ETA 3:48  epoch 2/5, loss 0.01234".</summary>
internal sealed class PhaseStatusColumn : ProgressColumn
{
    /// <inheritdoc />
    protected override bool NoWrap => true;

    /// <inheritdoc />
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
    {
        if (task.Tag is not ProgressPhase phase) return Text.Empty;
        var parts = new List<string>();
        if (phase.Total is { } total)
        {
            parts.Add($"{ProgressText.Count(phase.Done)}/{ProgressText.Count(total)} {phase.Unit}");
            parts.Add(ProgressText.Rate(phase.Rate, phase.Unit));
            parts.Add(phase.Remaining is { } left ? "ETA " + ProgressText.Duration(left) : "ETA -");
        }
        else
        {
            parts.Add(ProgressText.Duration(phase.Elapsed) + " elapsed");
        }
        if (phase.Detail is { Length: > 0 } detail) parts.Add(detail);
        return new Text(string.Join("  ", parts), new Style(Color.Grey));
    }
}
