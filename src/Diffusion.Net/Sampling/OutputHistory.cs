using static TorchSharp.torch;

namespace Diffusion.Net.Sampling;

/// <summary>
/// The last few converted model outputs of a multistep run (diffusers' <c>model_outputs</c>), newest first. The
/// tensors are detached from every dispose scope: the history owns them and disposes an entry when it falls out.
/// </summary>
internal sealed class OutputHistory(int capacity) : IDisposable
{
    private readonly List<(Tensor Output, double LogSnr)> _entries = [];

    public int Count => _entries.Count;

    /// <summary>Entry <paramref name="age"/> (0 = newest).</summary>
    public Tensor this[int age] => _entries[age].Output;

    /// <summary>λ = log(α/σ) of entry <paramref name="age"/>'s level.</summary>
    public double LogSnr(int age) => _entries[age].LogSnr;

    /// <summary>Keeps a copy handle of <paramref name="output"/> (it stays usable by the caller) and drops the oldest beyond capacity.</summary>
    public void Push(Tensor output, double logSnr)
    {
        var kept = output.alias().DetachFromDisposeScope();
        _entries.Insert(0, (kept, logSnr));
        while (_entries.Count > capacity)
        {
            _entries[^1].Output.Dispose();
            _entries.RemoveAt(_entries.Count - 1);
        }
    }

    public void Dispose()
    {
        foreach (var (t, _) in _entries) t.Dispose();
        _entries.Clear();
    }
}
