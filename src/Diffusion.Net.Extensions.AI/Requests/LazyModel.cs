namespace Diffusion.Net.Extensions.AI.Requests;

/// <summary>
/// A model loaded on first use, once, by whichever request comes first. A failed load is not remembered: a server that
/// trains its model after start serves requests as soon as the file exists.
/// </summary>
internal sealed class LazyModel<T> : IDisposable where T : class
{
    private readonly Func<CancellationToken, Task<T>> _load;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private T? _value;

    /// <summary>Loads on first use.</summary>
    public LazyModel(Func<CancellationToken, Task<T>> load) => _load = load;

    /// <summary>Already loaded.</summary>
    public LazyModel(T value)
    {
        _value = value;
        _load = _ => Task.FromResult(value);
    }

    /// <summary>The model if it is loaded.</summary>
    public T? Value => Volatile.Read(ref _value);

    public async Task<T> GetAsync(CancellationToken cancellationToken)
    {
        if (Value is { } loaded) return loaded;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Value is { } raced) return raced;
            var value = await _load(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _value, value);
            return value;
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();
}
