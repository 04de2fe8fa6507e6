namespace Diffusion.Net.Hostile.Tests.Harness;

/// <summary>How a case ended, as the parent saw it.</summary>
/// <param name="Id">The case.</param>
/// <param name="Outcome">ok, threw, nonfinite (returned NaN/∞ without an error), crash, hang, memory.</param>
/// <param name="TypeChain">The exception type and its bases (most derived first, '&lt;'-separated), or empty.</param>
/// <param name="Milliseconds">Wall time of the case.</param>
/// <param name="PeakRssMegabytes">The child's peak resident memory so far (MB).</param>
/// <param name="Message">The exception message, or a description of the crash.</param>
public sealed record CaseResult(string Id, string Outcome, string TypeChain, long Milliseconds, long PeakRssMegabytes, string Message)
{
    /// <summary>The process died, hung or passed the memory limit while running this case.</summary>
    public bool IsProcessFailure => Outcome is "crash" or "hang" or "memory";

    /// <summary>Whether the exception (if any) is of type <paramref name="name"/> or derives from it.</summary>
    public bool Is(string name) => TypeChain.Split('<').Contains(name, StringComparer.Ordinal);
}
