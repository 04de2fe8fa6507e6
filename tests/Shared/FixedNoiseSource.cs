using Diffusion.Net.Sampling;
using static TorchSharp.torch;

namespace Diffusion.Net.Testing;

/// <summary>Noise from a queue of given tensors; zeros when <see cref="ZerosWhenEmpty"/> and the queue is empty.</summary>
internal sealed class FixedNoiseSource : INoiseSource
{
    private readonly Queue<Tensor> _queue;

    public FixedNoiseSource(params Tensor[] noise) => _queue = new Queue<Tensor>(noise);

    public bool ZerosWhenEmpty { get; init; }

    public int Draws { get; private set; }

    public static FixedNoiseSource Zeros() => new() { ZerosWhenEmpty = true };

    public Tensor Next(long[] shape, ScalarType dtype, Device device)
    {
        Draws++;
        if (_queue.Count == 0)
        {
            if (ZerosWhenEmpty) return zeros(shape, dtype, device);
            throw new InvalidOperationException("No more fixed noise.");
        }
        var n = _queue.Dequeue();
        if (!n.shape.SequenceEqual(shape)) throw new InvalidOperationException($"Fixed noise shape [{string.Join(", ", n.shape)}] differs from the requested [{string.Join(", ", shape)}].");
        return n.to(dtype, device, copy: true);
    }
}
