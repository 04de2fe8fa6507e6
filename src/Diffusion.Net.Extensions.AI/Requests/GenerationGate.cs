namespace Diffusion.Net.Extensions.AI.Requests;

/// <summary>
/// The concurrency limit of one loaded model: at most <c>limit</c> runs at once, later requests wait in arrival order
/// and can be cancelled while they wait. One libtorch run already spreads over every core, so more parallel runs
/// only share the same cores and memory grows with each.
/// </summary>
internal sealed class GenerationGate(int limit) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(limit, limit);
    private int _active;
    private int _peak;

    /// <summary>Runs currently holding a slot.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>The most runs that ever held a slot at once.</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Test seam: awaited inside the slot before the work starts.</summary>
    internal Func<CancellationToken, Task>? RunStarting { get; set; }

    /// <summary>Waits for a slot, then runs <paramref name="work"/> on a worker thread (the model's forward passes are CPU-bound).</summary>
    public async Task<T> RunAsync<T>(Func<CancellationToken, T> work, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int now = Interlocked.Increment(ref _active);
            int peak;
            while (now > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak)
            {
            }
            if (RunStarting is { } hook) await hook(cancellationToken).ConfigureAwait(false);
            return await Task.Run(() => work(cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            _slots.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();
}
