namespace Diffusion.Net.Samples.Web;

/// <summary>Whether the model can serve, and the training progress when it is being trained on start (polled by the page).</summary>
public sealed class ModelStatus
{
    private readonly object _lock = new();
    private Snapshot _current = new("starting", "Looking for the model…", 0, null, null, null);

    /// <summary>What <c>GET /api/status</c> returns.</summary>
    public sealed record Snapshot(string State, string Message, double Percent, int? Epoch, int? Epochs, double? Loss);

    /// <summary>The current status.</summary>
    public Snapshot Current
    {
        get { lock (_lock) return _current; }
    }

    /// <summary>Whether generation requests can be served.</summary>
    public bool Ready => Current.State == "ready";

    /// <summary>Sets the status.</summary>
    public void Set(Snapshot snapshot)
    {
        lock (_lock) _current = snapshot;
    }
}
