using Diffusion.Net.IO;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Diffusion.Net.Training;

/// <summary>
/// An exponential moving average of a network's weights (Polyak averaging, as diffusers' <c>EMAModel</c> and the
/// DDPM reference keep it): after every optimizer step, θ̄ ← θ̄ − (1 − d_k)(θ̄ − θ), with the warm-up
/// d_k = min(d, (1 + k)/(10 + k)) at step k so the first, poor weights fade fast. Diffusion models are sampled with θ̄:
/// the average smooths the last steps' gradient noise, which a short run cannot anneal away with its learning rate.
/// </summary>
/// <remarks>
/// The average is float32 and follows the optimizer's float32 master weights, so bfloat16 training averages without
/// bfloat16 rounding. Only trainable parameters are averaged; buffers (BatchNorm statistics) are the live network's,
/// as in diffusers.
/// </remarks>
public sealed class ExponentialMovingAverage : IDisposable
{
    private readonly (string Name, Tensor Source, Tensor Average)[] _state;

    /// <summary>Starts the average at the current values of <paramref name="weights"/> (float32 tensors by parameter name).</summary>
    /// <param name="weights">The tensors to follow, updated in place by the optimizer (its master weights).</param>
    /// <param name="decay">d in (0, 1): the weight of the old average per step; 0.999 averages over about 1,000 steps.</param>
    public ExponentialMovingAverage(IReadOnlyDictionary<string, Tensor> weights, double decay)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!(decay > 0 && decay < 1)) throw new ArgumentOutOfRangeException(nameof(decay), decay, "The EMA decay must lie in (0, 1).");
        if (weights.Count == 0) throw new ArgumentException("There are no weights to average.", nameof(weights));
        Decay = decay;
        using var noGrad = no_grad();
        _state = weights.Select(kv => (kv.Key, kv.Value, kv.Value.detach().to(ScalarType.Float32, copy: true))).ToArray();
    }

    /// <summary>d.</summary>
    public double Decay { get; }

    /// <summary>The decay used at optimizer step <paramref name="step"/> (1-based): min(d, (1 + k)/(10 + k)).</summary>
    public double DecayAt(long step) => Math.Min(Decay, (1.0 + step) / (10.0 + step));

    /// <summary>Moves the average toward the current weights after optimizer step <paramref name="step"/>.</summary>
    public void Update(long step)
    {
        double weight = 1 - DecayAt(step);
        using var noGrad = no_grad();
        foreach (var (_, source, average) in _state)
            average.lerp_(source, weight);
    }

    /// <summary>The averaged weights by parameter name (float32; owned by this object).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights => _state.ToDictionary(s => s.Name, s => s.Average);

    /// <summary>Copies the averaged weights into the matching parameters of <paramref name="model"/> (in the parameters' dtype).</summary>
    public void CopyTo(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var averages = _state.ToDictionary(s => s.Name, s => s.Average);
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
            if (averages.TryGetValue(name, out var average)) parameter.copy_(average);
    }

    /// <summary>Restores the average from a checkpoint (<c>ema.N</c> tensors).</summary>
    public void Load(Func<string, Tensor?> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        using var noGrad = no_grad();
        foreach (var (name, _, average) in _state)
        {
            var key = $"ema.{name}";
            // A missing average means the checkpoint was trained without EMA.
            using var source = read(key) ?? throw new WeightsMismatchException("EMA state", [key], [], []);
            if (!source.shape.SequenceEqual(average.shape))
                throw new WeightsMismatchException("EMA state", [], [], [$"{key}: expected [{string.Join(", ", average.shape)}] but found [{string.Join(", ", source.shape)}]"]);
            average.copy_(source);
        }
    }

    /// <summary>The state tensors by checkpoint name (<c>ema.N</c>).</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors() => _state.Select(s => new KeyValuePair<string, Tensor>($"ema.{s.Name}", s.Average));

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (_, _, average) in _state) average.Dispose();
    }
}
